"""Two ready-to-run demo campaigns on the demo data (``demo_data``): the reference product's worked
example and a churn split. Built through the graph services; idempotent by campaign name."""

from __future__ import annotations

from django.apps import apps

from campaigns.engine.validation import graph_check
from campaigns.models import Campaign
from campaigns.services import campaign_create
from campaigns.services.graph import campaign_graph_replace

WORKED_EXAMPLE = "Demo: spring offer (worked example)"
CHURN_SPLIT = "Demo: churn prevention split"


def cond(field, operator, value=None, **extra):
    node = {"type": "condition", "field": field, "operator": operator, **extra}
    if value is not None:
        node["value"] = value
    return node


def _a(key, type_, label, x, y, **config):
    return {"key": key, "type": type_, "label": label, "x": x, "y": y, "config": config}


def _t(source, target, output="out"):
    return {"source": source, "target": target, "output": output}


def _email_activity(x, y) -> dict:
    """The channels app's email activity when a demo email configuration exists, else an End."""
    configuration = None
    if apps.is_installed("channels") or apps.is_installed("oc_channels"):
        try:
            from channels.models import ChannelConfiguration

            configuration = (
                ChannelConfiguration.objects.filter(channel="email").values_list("name", flat=True).first()
            )
        except Exception:
            configuration = None
    if configuration:
        return _a(
            "email",
            "channel.email",
            "Spring offer email",
            x,
            y,
            configuration=configuration,
            content={
                "subject": "Spring offer, {{ recipient.first_name }}",
                "text": "Hello {{ recipient.first_name }}, spring is here: 20% off this week.",
            },
        )
    return _a("email", "flow.end", "Email (channels not configured)", x, y)


def worked_example() -> dict:
    recent = {
        "type": "aggregate",
        "link": "purchases",
        "function": "sum",
        "field": "amount",
        "where": cond("purchased_at", "last_n_days", 90),
        "operator": "greater",
        "value": 300,
    }
    activities = [
        _a("start", "flow.fork", "Start", 0, 200, branches=["gold", "spenders", "wishers"]),
        _a(
            "gold",
            "targeting.build_audience",
            "Gold members",
            200,
            50,
            dimension="customer",
            rule=cond("loyalty_tier", "equal", "gold"),
        ),
        _a(
            "spenders",
            "targeting.build_audience",
            "Spent over 300 in 90 days",
            200,
            200,
            dimension="customer",
            rule=recent,
        ),
        _a(
            "wishers",
            "targeting.build_audience",
            "Have a wishlist",
            200,
            350,
            dimension="customer",
            rule={"type": "exists", "link": "wishlist"},
        ),
        _a("union", "targeting.combine", "Any of them", 400, 200, operation="union"),
        _a(
            "optout",
            "targeting.build_audience",
            "No email consent",
            400,
            400,
            dimension="customer",
            rule={
                "type": "group",
                "op": "or",
                "children": [cond("email_optin", "equal", False), cond("email", "is_empty")],
            },
        ),
        _a(
            "reachable",
            "targeting.combine",
            "Reachable by email",
            600,
            200,
            operation="exclusion",
            primary="union",
        ),
        _email_activity(800, 200),
    ]
    transitions = [
        _t("start", "gold", "gold"),
        _t("start", "spenders", "spenders"),
        _t("start", "wishers", "wishers"),
        _t("gold", "union"),
        _t("spenders", "union"),
        _t("wishers", "union"),
        _t("union", "reachable"),
        _t("optout", "reachable"),
        _t("reachable", "email"),
    ]
    return {"activities": activities, "transitions": transitions}


def churn_split() -> dict:
    inactive = {"type": "not_exists", "link": "purchases", "where": cond("purchased_at", "last_n_days", 180)}
    activities = [
        _a(
            "lapsed",
            "targeting.build_audience",
            "No purchase in 180 days",
            0,
            200,
            dimension="customer",
            rule=inactive,
        ),
        _a(
            "dedup",
            "targeting.deduplication",
            "One per email",
            200,
            200,
            fields=["email"],
            choose="highest",
            choose_expression="@loyalty_points",
        ),
        _a(
            "split",
            "targeting.split",
            "By value",
            400,
            200,
            complement=True,
            subsets=[
                {
                    "code": "high",
                    "label": "High value",
                    "filter": cond("loyalty_points", "greater_or_equal", 5000),
                    "limit": {"kind": "count", "value": 1000},
                    "sort": [{"field": "loyalty_points", "direction": "desc"}],
                },
                {
                    "code": "medium",
                    "label": "Medium value",
                    "filter": cond("loyalty_points", "greater_or_equal", 1000),
                },
                {"code": "low", "label": "Low value", "limit": {"kind": "percent", "value": 50}},
            ],
        ),
        _a(
            "save_high",
            "targeting.save_audience",
            "Save: lapsed high value",
            600,
            50,
            audience="Lapsed high-value customers",
        ),
        _a("end_high", "flow.end", "High done", 800, 50),
        _a("end_medium", "flow.end", "Medium", 600, 200),
        _a("end_low", "flow.end", "Low (sample)", 600, 320),
        _a("end_rest", "flow.end", "Control group", 600, 440),
    ]
    transitions = [
        _t("lapsed", "dedup"),
        _t("dedup", "split"),
        _t("split", "save_high", "high"),
        _t("save_high", "end_high"),
        _t("split", "end_medium", "medium"),
        _t("split", "end_low", "low"),
        _t("split", "end_rest", "complement"),
    ]
    return {"activities": activities, "transitions": transitions}


def demo_campaigns_create(*, actor) -> list[Campaign]:
    """Create (or leave as they are) the demo campaigns; returns them."""
    made = []
    for name, build, description in (
        (WORKED_EXAMPLE, worked_example, "Fork into three audiences, union, exclusion, then an email."),
        (CHURN_SPLIT, churn_split, "Lapsed customers, deduplicated on email, split by value."),
    ):
        campaign = Campaign.objects.filter(name=name).first()
        if campaign is None:
            campaign = campaign_create(actor=actor, name=name, description=description)
        if not campaign.activities.exists():
            document = build()
            _parsed, errors = graph_check(document)
            if any(e.activity == "email" for e in errors):  # the channels app refused the demo email
                document["activities"][-1] = _a("email", "flow.end", "Email", 800, 200)
            campaign_graph_replace(
                actor=actor, campaign=campaign, document=document, version=campaign.graph_version
            )
        made.append(campaign)
    return made
