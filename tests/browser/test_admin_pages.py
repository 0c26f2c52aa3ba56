"""The admin in a real browser: sign-in, profile-dependent navigation, both languages."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sections(page) -> set[str]:
    """The app sections the admin index lists (their caption links)."""
    return {text.strip() for text in page.locator("#content-main .module caption a").all_text_contents()}


def test_administrator_signs_in_and_sees_every_section(page, live_server, login, make_user, console_errors):
    # given
    admin_user = make_user(ProductProfile.ADMINISTRATOR)
    # when
    login(admin_user)
    # then
    assert page.locator("#site-name").inner_text() == "Orchestrated Campaigns"
    assert {"Campaigns", "Accounts and product profiles", "Data model and audiences"} <= _sections(page)
    assert console_errors == []


def test_viewer_sees_no_administration_sections(page, login, make_user, console_errors):
    viewer = make_user(ProductProfile.VIEWER)
    login(viewer)
    sections = _sections(page)
    assert "Campaigns" in sections
    assert "Accounts and product profiles" not in sections
    assert console_errors == []


def test_admin_in_traditional_chinese(page, login, make_user, console_errors, screenshot):
    admin_user = make_user(ProductProfile.ADMINISTRATOR)
    login(admin_user, language="zh-hant")
    assert page.locator("#site-name").inner_text() == "行銷活動平台"
    assert "行銷活動" in _sections(page)
    screenshot("admin-index-zh-hant")
    assert console_errors == []
