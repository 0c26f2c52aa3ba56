"""Translations: the catalogs compile, the compiled files are current, a zh-hant page is translated."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))


def test_both_languages_ship_a_catalog():
    assert {p.parent.parent.name for p in CATALOGS} == {"en", "zh_Hant"}


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_catalog_compiles_and_the_committed_mo_is_current(po_path, tmp_path):
    # given
    po = polib.pofile(str(po_path))
    # when: compile it (polib raises on a malformed catalog)
    compiled = tmp_path / "django.mo"
    po.save_as_mofile(str(compiled))
    # then: every placeholder survives translation, and the shipped .mo says the same
    for entry in po.translated_entries():
        for placeholder in ("%s", "%d", "%(", "{"):
            assert entry.msgid.count(placeholder) == entry.msgstr.count(placeholder), entry.msgid
    shipped = {e.msgid: e.msgstr for e in polib.mofile(str(po_path.with_suffix(".mo")))}
    fresh = {e.msgid: e.msgstr for e in polib.mofile(str(compiled))}
    assert shipped == fresh, "run `make messages` and commit the .mo files"


@pytest.mark.django_db
def test_admin_renders_in_traditional_chinese(administrator):
    client = Client()
    client.force_login(administrator)
    client.cookies["django_language"] = "zh-hant"
    html = client.get("/admin/").content.decode()
    assert "行銷活動平台" in html  # our site header
    assert "行銷活動" in html  # the campaigns app
    assert "Orchestrated Campaigns" not in html
