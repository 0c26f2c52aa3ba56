"""From one ledger row to one provider message: pick the variant, render every part in the sandbox,
track links, add the open pixel, the unsubscribe link and the one-click headers (RFC 8058)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import quote
from typing import Any

from channels.content import EmailContent, PushContent, SmsContent
from channels.models import Category, Delivery, LedgerEntry
from channels.personalization import links
from channels.personalization.templates import render
from channels.providers.base import OutboundMessage

CONTENT_CLASSES = {"email": EmailContent, "sms": SmsContent, "push": PushContent}


@dataclass
class FrozenContent:
    """A delivery's frozen content, parsed once per batch."""

    main: Any
    variants: dict[str, Any]
    track_opens: bool
    track_clicks: bool


def frozen_content(delivery: Delivery) -> FrozenContent:
    from channels.activities.configs import parse_activity_config

    config = parse_activity_config(delivery.channel, delivery.content)
    return FrozenContent(
        main=config.content,
        variants={v.name: v.content for v in config.variants},
        track_opens=getattr(config, "track_opens", False),
        track_clicks=config.track_clicks,
    )


def base_context(delivery: Delivery) -> dict:
    return {
        "campaign": {"id": delivery.campaign_id, "name": delivery.campaign_name},
        "activity": {"key": delivery.activity_key, "label": delivery.activity_label},
        "run": {"id": delivery.run_id},
        "channel": delivery.channel,
    }


def compose(delivery: Delivery, frozen: FrozenContent, entry: LedgerEntry, base: dict) -> OutboundMessage:
    """Render ``entry``'s message; raises ``TemplateProblem`` when a template fails on its data."""
    configuration = delivery.configuration
    tracking = configuration.tracking_base_url
    content = frozen.variants.get(entry.variant, frozen.main)
    marketing = delivery.category == Category.MARKETING
    unsubscribe_url = links.absolute(
        tracking, "unsubscribe", links.entry_token(entry.pk, links.UNSUBSCRIBE_SALT)
    )
    data = entry.data if isinstance(entry.data, dict) else {}
    context = {**data, **base, "unsubscribe_url": unsubscribe_url}
    context.setdefault("recipient", {})
    context.setdefault("enrichment", {})

    def track(url: str) -> str:
        if not frozen.track_clicks or url == unsubscribe_url:
            return url
        return links.absolute(tracking, "click", links.click_token(entry.pk, url))

    message = OutboundMessage(to=entry.address, idempotency_key=f"oc-{delivery.pk}-{entry.pk}")
    if delivery.channel == "email":
        message.subject = render(content.subject, context)
        if delivery.is_proof:
            message.subject = f"[Proof] {message.subject}"
        message.preheader = render(content.preheader, context)
        html = render(content.html, context, html=True)
        if html:
            html = links.rewrite_html(html, track)
            if message.preheader:
                hidden = "display:none;max-height:0;overflow:hidden"
                html = f'<div style="{hidden}">{_escape(message.preheader)}</div>{html}'
            if frozen.track_opens:
                pixel = links.absolute(tracking, "open", links.entry_token(entry.pk, links.OPEN_SALT))
                html += f'<img src="{pixel}" width="1" height="1" alt="" style="display:none">'
        message.html = html
        message.text = links.rewrite_text(render(content.text, context), track)
        message.from_email = (
            f'"{quote(configuration.from_name)}" <{configuration.from_email}>'
            if configuration.from_name
            else configuration.from_email
        )
        message.reply_to = configuration.reply_to
        if marketing:
            message.headers = {
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
    elif delivery.channel == "sms":
        message.text = links.rewrite_text(render(content.text, context), track)
        message.sender_id = configuration.sms_sender_id
    else:
        message.title = render(content.title, context)
        message.text = render(content.body, context)
        link = render(content.link, context)
        message.link = track(link) if link else ""
        message.data = {k: render(str(v), context) for k, v in content.data.items()}
    return message


def _escape(text: str) -> str:
    from django.utils.html import escape

    return str(escape(text))
