"""The bytes of one personalised email, written directly: the same message Django's
``EmailMultiAlternatives`` would put on the wire, without the ``email`` package's generator.

Why not the ``email`` package: for a two-part message it folds every header through its policy
machinery and compiles a regular expression per message to pick a boundary; that was ~1 ms of the
~1.5 ms a message cost the sender (``docs/benchmarks.md``). Here ASCII headers are written as they
are (folded at spaces past 78 characters), and only a value outside ASCII goes through
``email.header`` (RFC 2047 encoded words). Bodies follow Django's choice for UTF-8: ``7bit`` for
ASCII, ``8bit`` otherwise, ``quoted-printable`` when a line is longer than RFC 5322's 998 octets.

``tests/test_mime.py`` parses what this writes back with the standard library and compares every
header and part with what Django builds for the same message.
"""

from __future__ import annotations

import binascii
import random
import re
from email.errors import HeaderParseError
from email.header import Header
from email.utils import formatdate
from functools import lru_cache

from django.conf import settings
from django.core.mail.message import sanitize_address

MAX_LINE = 998
FOLD_AT = 78
CRLF = "\r\n"


class HeaderInjection(ValueError):
    """A header value holding a line break or another control character (a template or a recipient's
    data cannot add headers)."""


# C0 controls but tab, DEL, and what ``str.splitlines`` also takes for a line end (NEL, LS, PS)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
# an address the fast path may write as it is: no quoting, comment, group or route syntax
_PLAIN_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")


def _is_ascii(text: str) -> bool:
    return text.isascii()


def _refuse_controls(what: str, value: str) -> None:
    if _CONTROL.search(value):
        raise HeaderInjection(f"{what} contains a line break or a control character")


def header(name: str, value: str) -> str:
    """``Name: value`` with its CRLF, folded; RFC 2047 encoded words when the value is not ASCII or
    holds a word too long for a line."""
    _refuse_controls(f"the {name} header", value)
    line = f"{name}: {value}"
    if _is_ascii(value) and len(line) <= FOLD_AT:
        return line + CRLF
    if _is_ascii(value) and max(len(word) for word in line.split(" ")) < MAX_LINE - 2:
        return _fold(line.rstrip()) + CRLF  # trailing blanks would end a folded line
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}{CRLF}"


def _fold(line: str) -> str:
    """Fold an ASCII header line at spaces so that lines stay short (never inside a word)."""
    out, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > FOLD_AT:
            out.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return CRLF.join(out)


@lru_cache(maxsize=1024)
def address(value: str) -> str:
    """An address header value (``Name <local@domain>`` or ``local@domain``), as Django sanitizes it:
    display names quoted or encoded, internationalised domains in IDNA. Cached: a delivery's sender
    and reply-to addresses repeat on every message."""
    _refuse_controls("an address", value)
    return _sanitized(value)


def recipient(value: str) -> str:
    """The recipient's address: ASCII addresses as they are (the audience's pattern checked them),
    others through Django's sanitizer."""
    _refuse_controls("an address", value)
    if _is_ascii(value) and _PLAIN_ADDRESS.fullmatch(value):
        return value
    return _sanitized(value)


def _sanitized(value: str) -> str:
    """Django's sanitizer, its folds ("\\n ") turned into CRLF; an address it cannot read is refused
    like an injection (``HeaderParseError`` is not a ``ValueError``)."""
    try:
        return sanitize_address(value, "utf-8").replace("\n", CRLF)
    except (ValueError, HeaderParseError) as exc:
        raise HeaderInjection(f"an address cannot be read: {exc}") from None


def _body(text: str, subtype: str) -> tuple[str, bytes]:
    """Headers and encoded body of one text part (CRLF line ends)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    long_line = any(len(line) > MAX_LINE // 4 for line in lines) and any(
        len(line.encode("utf-8")) > MAX_LINE for line in lines
    )
    if long_line:
        encoding = "quoted-printable"
        data = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    else:
        encoding = "7bit" if _is_ascii(text) else "8bit"
        data = CRLF.join(lines).encode("utf-8")
    headers = (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"MIME-Version: 1.0{CRLF}"
        f"Content-Transfer-Encoding: {encoding}{CRLF}"
    )
    return headers, data


_random = random.Random()  # a boundary needs to be unlikely in the parts, not secret (as the email package)


def _boundary(parts: list[bytes]) -> str:
    while True:
        boundary = f"==============={_random.getrandbits(96):024x}=="
        marker = boundary.encode("ascii")
        if not any(marker in part for part in parts):
            return boundary


def build(
    *,
    subject: str,
    from_email: str,
    to: str,
    text: str,
    html: str = "",
    reply_to: str = "",
    message_id: str,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """The message as it goes on the wire: headers, then one text part, or a ``multipart/alternative``
    of the text and the HTML parts. Raises ``HeaderInjection`` for a header value with a line break."""
    head = [
        header("Subject", subject),
        f"From: {address(from_email)}{CRLF}",
        f"To: {recipient(to)}{CRLF}",
    ]
    if reply_to:
        head.append(f"Reply-To: {address(reply_to)}{CRLF}")
    head.append(f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}{CRLF}")
    head.append(header("Message-ID", message_id))
    for name, value in (extra_headers or {}).items():
        head.append(header(name, value))
    text_headers, text_body = _body(text, "plain")
    if not html:
        return (text_headers + "".join(head) + CRLF).encode("utf-8") + text_body
    html_headers, html_body = _body(html, "html")
    boundary = _boundary([text_body, html_body])
    top = (
        f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}'
        f"MIME-Version: 1.0{CRLF}" + "".join(head) + CRLF
    )
    delimiter = f"--{boundary}{CRLF}".encode("ascii")
    text_part = (delimiter, (text_headers + CRLF).encode("ascii"), text_body, CRLF.encode("ascii"))
    return b"".join(
        (
            top.encode("utf-8"),
            *(text_part if text else ()),  # as Django: an empty text part is left out
            delimiter,
            (html_headers + CRLF).encode("ascii"),
            html_body,
            f"{CRLF}--{boundary}--{CRLF}".encode("ascii"),
        )
    )

