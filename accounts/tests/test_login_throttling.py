"""Login throttling (issue 12 §6): the token endpoint and the admin login stop accepting passwords for
a username after ``OC_LOGIN_FAILURE_LIMIT`` failures from one address, for ``OC_LOGIN_COOLOFF_MINUTES``;
the API answers 429 ``locked_out`` in the one error shape, the admin a lockout page. Lockout is off in
the test settings (the suite logs in a lot), so each test here turns it on."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.profiles import ProductProfile
from conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db
LOCKOUT = override_settings(
    AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=dt.timedelta(minutes=15)
)
TOKEN = "/api/v1/auth/token/"


def _token(username: str, password: str, address: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        TOKEN, {"username": username, "password": password}, format="json"
    )


def _admin_login(username: str, password: str):
    return Client().post("/admin/login/?next=/admin/", {"username": username, "password": password})


@LOCKOUT
def test_the_token_endpoint_locks_a_username_after_the_failure_limit(administrator, manager):
    # when: three wrong passwords, then the right one
    failures = [_token(administrator.username, "wrong").status_code for _ in range(3)]
    right = _token(administrator.username, TEST_PASSWORD)
    # then: the third failure locks; the right password is refused too, in the one error shape
    assert failures == [400, 400, 429]
    assert right.status_code == 429
    body = right.json()
    assert (body["status"], body["code"], body["errors"]) == (429, "locked_out", [])
    assert "15 minutes" in body["detail"] and right["Retry-After"] == "900"
    assert "token" not in body
    # and: another user from the same address, and the same user from elsewhere, still sign in
    assert _token(manager.username, TEST_PASSWORD).status_code == 200
    assert _token(administrator.username, TEST_PASSWORD, address="10.0.0.2").status_code == 200


@LOCKOUT
def test_the_lock_ends_after_the_cool_off(administrator):
    # given
    for _ in range(3):
        _token(administrator.username, "wrong")
    # when / then
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert _token(administrator.username, TEST_PASSWORD).status_code == 200


@LOCKOUT
def test_a_successful_login_resets_the_count(administrator):
    # when: two failures, a success, two failures
    answers = [_token(administrator.username, "wrong").status_code for _ in range(2)]
    answers.append(_token(administrator.username, TEST_PASSWORD).status_code)
    answers += [_token(administrator.username, "wrong").status_code for _ in range(2)]
    # then: never locked
    assert answers == [400, 400, 200, 400, 400]
    assert _token(administrator.username, TEST_PASSWORD).status_code == 200


@LOCKOUT
def test_the_admin_login_shows_a_lockout_page(make_user):
    # given
    user = make_user(ProductProfile.VIEWER)
    for _ in range(2):
        page = _admin_login(user.username, "wrong")
        assert page.status_code == 200 and "Please enter the correct username" in page.content.decode()
    # when
    third = _admin_login(user.username, "wrong")
    right = _admin_login(user.username, TEST_PASSWORD)
    # then: a page that says what happened, and the right password does not get in
    for response in (third, right):
        html = response.content.decode()
        assert response.status_code == 429
        assert "Sign-in temporarily locked" in html and "15 minutes" in html
    assert "_auth_user_id" not in Client().session


def test_without_lockout_enabled_failures_are_not_counted(administrator, settings):
    # given: the test settings' default (OC_LOGIN_LOCKOUT_ENABLED off)
    assert settings.AXES_ENABLED is False
    # when / then
    assert {_token(administrator.username, "wrong").status_code for _ in range(6)} == {400}
    assert _token(administrator.username, TEST_PASSWORD).status_code == 200


@LOCKOUT
def test_a_body_that_is_not_an_object_is_a_400_not_a_500(administrator):
    response = APIClient().post(TOKEN, ["x"], format="json")
    assert response.status_code == 400
