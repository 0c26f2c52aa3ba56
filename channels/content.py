"""The content of a channel activity, typed: email, SMS and push parts, and content variants.

These dataclasses are the activity's ``Config`` pieces (parsed by the engine's strict parser at every
boundary) and what a delivery freezes in ``Delivery.content``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CategoryKey = Literal["marketing", "transactional"]


@dataclass
class EmailContent:
    subject: str
    html: str = ""
    text: str = ""
    preheader: str = ""


@dataclass
class SmsContent:
    text: str


@dataclass
class PushContent:
    title: str
    body: str
    link: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class EmailVariant:
    name: str
    share: int
    content: EmailContent


@dataclass
class SmsVariant:
    name: str
    share: int
    content: SmsContent


@dataclass
class PushVariant:
    name: str
    share: int
    content: PushContent


def template_parts(channel: str, content) -> list[tuple[str, str, bool]]:
    """(path, source, is_html) of every template in a content object."""
    if channel == "email":
        return [
            ("subject", content.subject, False),
            ("preheader", content.preheader, False),
            ("html", content.html, True),
            ("text", content.text, False),
        ]
    if channel == "sms":
        return [("text", content.text, False)]
    parts = [("title", content.title, False), ("body", content.body, False), ("link", content.link, False)]
    return parts + [(f"data.{k}", str(v), False) for k, v in content.data.items()]
