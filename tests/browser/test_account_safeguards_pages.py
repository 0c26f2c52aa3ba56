"""The account safeguards and the sign-in lockout in a real browser (issue 12 §6): the refusal messages
are readable on the user page and the delete page, and a locked-out sign-in gets a page saying so."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from accounts.models import User
from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_removing_ones_own_administrator_profile_is_refused_on_the_page(
    page, live_server, login, make_user, console_errors, screenshot
):
    # given: two Administrators; the first opens their own user page
    me = make_user(ProductProfile.ADMINISTRATOR)
    make_user(ProductProfile.ADMINISTRATOR)
    login(me)
    page.goto(f"{live_server.url}/admin/accounts/user/{me.pk}/change/")
    # when: they swap their Administrator profile for Viewer and save
    administrator = Group.objects.get(name="Administrator")
    viewer = Group.objects.get(name="Viewer")
    page.select_option("#id_groups_to", str(administrator.pk))
    page.click("#id_groups_remove")
    page.select_option("#id_groups_from", str(viewer.pk))
    page.click("#id_groups_add")
    page.click("input[name=_save]")
    # then: the page says why, on the profiles field, and nothing changed
    error = page.locator(".errorlist").first
    assert "You cannot remove your own Administrator profile" in error.inner_text()
    screenshot("account-safeguard-own-profile")
    assert me.groups.filter(name="Administrator").exists()
    assert [e for e in console_errors if not e.startswith("4")] == []


def test_deleting_the_last_administrator_explains_why_not(page, live_server, login, make_user, screenshot):
    # given: a superuser without the profile, and the only Administrator
    root = make_user()
    User.objects.filter(pk=root.pk).update(is_superuser=True, is_staff=True)
    last = make_user(ProductProfile.ADMINISTRATOR)
    login(root)
    # when: the Delete button of the user page
    page.goto(f"{live_server.url}/admin/accounts/user/{last.pk}/change/")
    page.click("a.deletelink")
    # then: back on the user page, with the reason
    page.wait_for_url(f"{live_server.url}/admin/accounts/user/{last.pk}/change/")
    assert "Deleting would leave no active Administrator" in page.locator(".messagelist").inner_text()
    screenshot("account-safeguard-last-administrator-delete")
    assert User.objects.filter(pk=last.pk).exists()


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_locked_out_sign_in_gets_a_lockout_page(page, live_server, make_user, screenshot):
    # given
    user = make_user(ProductProfile.VIEWER)
    # when: three wrong passwords through the real form
    for _ in range(3):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "wrong")
        page.click("input[type=submit]")
    # then
    assert page.locator("h1").inner_text() == "Sign-in temporarily locked"
    assert "15 minutes" in page.locator("#content").inner_text()
    screenshot("admin-login-locked-out")
