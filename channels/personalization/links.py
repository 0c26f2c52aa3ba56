"""Tracked links, the open pixel and the unsubscribe link: signed tokens bound to one ledger row.

A click token signs (ledger entry id, URL) with ``django.core.signing`` under its own salt, so the
redirect can only lead to a URL that was written into that very message: an attacker can neither
forge a token for another URL nor reuse one message's token for a link of another (no open redirect).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

from django.core import signing
from django.urls import reverse

CLICK_SALT = "oc_channels.click"
OPEN_SALT = "oc_channels.open"
UNSUBSCRIBE_SALT = "oc_channels.unsubscribe"

_HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"'\s>]+)\2""", re.IGNORECASE)
_BARE_URL = re.compile(r"""(?<![\w/"'=])(https?://[^\s<>"']+)""")


def click_token(entry_id: int, url: str) -> str:
    return signing.dumps({"e": entry_id, "u": url}, salt=CLICK_SALT, compress=True)


def read_click_token(token: str) -> tuple[int, str]:
    data = signing.loads(token, salt=CLICK_SALT)
    return int(data["e"]), str(data["u"])


def entry_token(entry_id: int, salt: str) -> str:
    return signing.dumps(entry_id, salt=salt)


def read_entry_token(token: str, salt: str) -> int:
    return int(signing.loads(token, salt=salt))


def absolute(base: str, name: str, token: str) -> str:
    path = reverse(f"oc_channels:{name}", args=[token])
    return f"{base.rstrip('/')}{path}" if base else path


def rewrite_html(html: str, track: Callable[[str], str]) -> str:
    """Replace every ``href="http(s)://..."`` with its tracked URL."""
    return _HREF.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{track(html_lib.unescape(m.group(3)))}{m.group(2)}", html
    )


def rewrite_text(text: str, track: Callable[[str], str]) -> str:
    """Replace bare http(s) URLs in a text part or an SMS."""
    return _BARE_URL.sub(lambda m: track(m.group(1)), text)
