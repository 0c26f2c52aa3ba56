"""Translations: the catalogs (Python and JavaScript) compile, the compiled files are current, the
Traditional Chinese ones are complete, a zh-hant page is translated."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))


def _name(po_path: Path) -> str:
    return f"{po_path.parent.parent.name}-{po_path.stem}"


def test_both_languages_ship_a_catalog_of_each_domain():
    assert {_name(p) for p in CATALOGS} == {"en-django", "en-djangojs", "zh_Hant-django", "zh_Hant-djangojs"}


@pytest.mark.parametrize("po_path", CATALOGS, ids=_name)
def test_catalog_compiles_and_the_committed_mo_is_current(po_path, tmp_path):
    # given
    po = polib.pofile(str(po_path))
    # when: compile it (polib raises on a malformed catalog)
    compiled = tmp_path / f"{po_path.stem}.mo"
    po.save_as_mofile(str(compiled))
    # then: every placeholder survives translation, and the shipped .mo says the same
    for entry in po.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            for placeholder in ("%s", "%d", "%(", "{"):
                assert entry.msgid.count(placeholder) == translation.count(placeholder), entry.msgid
    shipped = {e.msgid: e.msgstr for e in polib.mofile(str(po_path.with_suffix(".mo")))}
    fresh = {e.msgid: e.msgstr for e in polib.mofile(str(compiled))}
    assert shipped == fresh, "run `make messages` and commit the .mo files"


@pytest.mark.parametrize("po_path", [p for p in CATALOGS if "zh_Hant" in p.parts], ids=_name)
def test_traditional_chinese_catalog_has_no_fuzzy_or_empty_entry(po_path):
    po = polib.pofile(str(po_path))
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.untranslated_entries()] == []


@pytest.mark.django_db
def test_admin_renders_in_traditional_chinese(administrator):
    client = Client()
    client.force_login(administrator)
    client.cookies["django_language"] = "zh-hant"
    html = client.get("/admin/").content.decode()
    assert "行銷活動平台" in html  # our site header
    assert "行銷活動" in html  # the campaigns app
    assert "Orchestrated Campaigns" not in html
