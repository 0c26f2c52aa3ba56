"""Fixtures of the campaign engine's tests: a shop catalog with rows, and a way to drive runs."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile
from campaigns.tests.shop import build_shop


@pytest.fixture
def shop(make_user):
    admin = make_user(ProductProfile.ADMINISTRATOR, username="shop-admin")
    return build_shop(admin)


@pytest.fixture
def drive(django_capture_on_commit_callbacks):
    """Run a callable and every job it enqueues on commit (and theirs), in this process."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run
