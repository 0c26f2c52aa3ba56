"""``providers/mime.py`` writes the message Django would: parsed back by the standard library, every
header and part equals what Django's ``EmailMultiAlternatives`` gives for the same message."""

from __future__ import annotations

import email
import email.policy
from email.utils import quote

import pytest
from django.core.mail import EmailMultiAlternatives
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.providers import mime

HEADERS = ("Subject", "From", "To", "Reply-To", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post")


def _django(subject, from_email, to, text, html, reply_to, message_id, extra) -> bytes:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={**extra, "Message-ID": message_id},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.message().as_bytes(linesep="\r\n")


def _ours(subject, from_email, to, text, html, reply_to, message_id, extra) -> bytes:
    return mime.build(
        subject=subject,
        from_email=from_email,
        to=to,
        text=text,
        html=html,
        reply_to=reply_to,
        message_id=message_id,
        extra_headers=extra,
    )


def _read(raw: bytes) -> dict:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert not parsed.defects, parsed.defects
    seen = {name: str(parsed[name]) for name in HEADERS if parsed[name] is not None}
    seen["content_type"] = parsed.get_content_type()
    parts = list(parsed.iter_parts()) if parsed.is_multipart() else [parsed]
    seen["parts"] = [(p.get_content_type(), p.get_content().replace("\r\n", "\n")) for p in parts]
    for part in parts:
        assert not part.defects, part.defects
    return seen


def _same(**message) -> None:
    ours, django = _ours(**message), _django(**message)
    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b"")  # only CRLF line ends on the wire
    mine, theirs = _read(ours), _read(django)
    # the subject reads back exactly as written; Django's folding may add a blank at a fold
    assert mine.pop("Subject").rstrip() == message["subject"].rstrip()
    assert " ".join(theirs.pop("Subject").split()) == " ".join(message["subject"].split())
    assert mine == theirs


BASE = {
    "subject": "Ann, your spring offer",
    "from_email": "Shop <news@shop.example>",
    "to": "ann@example.test",
    "text": "Hello Ann!\n\nhttps://t.example/c/abc/\n",
    "html": '<p>Hello <b>Ann</b>!</p><a href="https://t.example/c/abc/">offer</a>',
    "reply_to": "help@shop.example",
    "message_id": "<oc-1-2@oc.invalid>",
    "extra": {
        "List-Unsubscribe": "<https://t.example/u/tok/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"html": ""},
        {"reply_to": ""},
        {"subject": "Chloé, 春季優惠 for you 🌸"},
        {"from_email": "Boutique Éloïse <news@shop.example>"},
        {"from_email": '"Shop \\"Best\\", Inc." <news@shop.example>'},
        {"to": "ann@bücher.example"},
        {"text": "Grüße,\nAnn — 春季\n", "html": "<p>Grüße 春季</p>"},
        {"text": "x" * 3000 + "\nend\n", "html": "<p>" + "é" * 2000 + "</p>"},
        {"subject": "word " * 60},
        {"subject": "trailing  spaces  "},
        {"subject": "x" * 1200},
        {"text": ".leading dot\n..two\n"},
        {"html": "<p>--===============boundary-looking==</p>"},
    ],
    ids=lambda change: ",".join(change) or "plain",
)
def test_the_message_reads_back_as_djangos(change):
    _same(**{**BASE, **change})


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=120),
    name=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40),
    text=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r"), max_size=400),
    html=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r"), max_size=400),
)
def test_any_subject_name_and_body_read_back_as_djangos(subject, name, text, html):
    subject = " ".join(subject.split())  # Django too refuses line breaks in headers
    name = " ".join(name.split())
    from_email = f'"{quote(name)}" <news@shop.example>' if name else "news@shop.example"
    _same(**{**BASE, "subject": subject, "from_email": from_email, "text": text, "html": html})


@pytest.mark.parametrize("field", ["subject", "to", "from_email"])
def test_a_line_break_in_a_header_is_refused(field):
    value = {"subject": "Hi\r\nBcc: all@example.test", "to": "a@x.test\nBcc: b@x.test"}.get(
        field, "Shop\n <news@shop.example>"
    )
    with pytest.raises(mime.HeaderInjection):
        _ours(**{**BASE, field: value})
