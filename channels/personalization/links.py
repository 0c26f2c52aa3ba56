"""Tracked links, the open pixel and the unsubscribe link: signed tokens bound to one ledger row.

A click token signs (ledger entry id, URL) with ``django.core.signing`` under its own salt, so the
redirect can only lead to a URL that was written into that very message: an attacker can neither
forge a token for another URL nor reuse one message's token for a link of another (no open redirect).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

CLICK_SALT = "oc_channels.click"
OPEN_SALT = "oc_channels.open"
UNSUBSCRIBE_SALT = "oc_channels.unsubscribe"

_HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"'\s>]+)\2""", re.IGNORECASE)
_BARE_URL = re.compile(r"""(?<![\w/"'=])(https?://[^\s<>"']+)""")


def _signer(salt: str) -> signing.TimestampSigner:
    """What ``signing.dumps`` builds on every call, built once per salt and key (tokens are the same
    and ``signing.loads`` reads them; a sender signs four per message)."""
    return _signer_for(salt, settings.SECRET_KEY)


@lru_cache(maxsize=8)
def _signer_for(salt: str, key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(key=key, salt=salt)


def click_token(entry_id: int, url: str) -> str:
    return _signer(CLICK_SALT).sign_object({"e": entry_id, "u": url}, compress=True)


def read_click_token(token: str) -> tuple[int, str]:
    data = signing.loads(token, salt=CLICK_SALT)
    return int(data["e"]), str(data["u"])


def entry_token(entry_id: int, salt: str) -> str:
    return _signer(salt).sign_object(entry_id)


def read_entry_token(token: str, salt: str) -> int:
    return int(signing.loads(token, salt=salt))


_SLOT = "oc-token-slot"


@lru_cache(maxsize=32)
def _around(name: str) -> tuple[str, str]:
    """The URL of tracking view ``name`` before and after its token (``reverse`` once, not per link)."""
    before, _slot, after = reverse(f"oc_channels:{name}", args=[_SLOT]).partition(_SLOT)
    return before, after


def absolute(base: str, name: str, token: str) -> str:
    before, after = _around(name)
    path = f"{before}{token}{after}"
    return f"{base.rstrip('/')}{path}" if base else path


def rewrite_html(html: str, track: Callable[[str], str]) -> str:
    """Replace every ``href="http(s)://..."`` with its tracked URL."""
    return _HREF.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{track(html_lib.unescape(m.group(3)))}{m.group(2)}", html
    )


def rewrite_text(text: str, track: Callable[[str], str]) -> str:
    """Replace bare http(s) URLs in a text part or an SMS."""
    return _BARE_URL.sub(lambda m: track(m.group(1)), text)
