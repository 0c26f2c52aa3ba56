"""Role-matrix rows of the lifecycle issue (7): review queue, versions, audit pages, lifecycle routes.

Imported at the end of ``tests/role_matrix.py``; expectations written by hand from the table in
campaigns/README.md ("Lifecycle") and the profile table in accounts/README.md.
"""

from __future__ import annotations

from tests.role_matrix import (
    ADMIN,
    ADMIN_ACCESS,
    ADMIN_OBJECTS,
    ADMIN_SITE_ROUTES,
    ANON,
    API_ROUTES,
    APPROVER,
    EVERYONE,
    MANAGER,
    NOBODY,
    NOT_PAGES,
    VIEWER,
    AdminAccess,
    Route,
    _all,
    _campaign_url,
    _engine_run,
    _make_campaign,
    _only_admin,
)

REVIEWERS = frozenset({ADMIN, APPROVER})


def _reviewed(ctx):
    """The context's campaign with a clean test run, in review (version 1 requested by its owner)."""
    if "lifecycle_version" not in ctx:
        from campaigns.lifecycle.services import campaign_request_approval

        run = _engine_run(ctx)
        ctx["lifecycle_version"] = campaign_request_approval(actor=run.campaign.owner, campaign=run.campaign)
    return ctx["lifecycle_version"]


def _review_object(ctx):
    from campaigns.models import CampaignReview

    ctx.setdefault("campaign", _make_campaign(ctx))
    return CampaignReview.objects.get(pk=_reviewed(ctx).campaign_id)


def _version_object(ctx):
    ctx.setdefault("campaign", _make_campaign(ctx))
    return _reviewed(ctx)


def _event_object(ctx):
    from audit.models import DomainEvent

    _make_campaign(ctx)
    return DomainEvent.objects.order_by("-id").first()


ADMIN_ACCESS["campaigns.campaignreview"] = AdminAccess(REVIEWERS, NOBODY, NOBODY, NOBODY)
ADMIN_OBJECTS["campaigns.campaignreview"] = _review_object
ADMIN_ACCESS["campaigns.campaignversion"] = AdminAccess(EVERYONE, NOBODY, NOBODY, NOBODY)
ADMIN_OBJECTS["campaigns.campaignversion"] = _version_object
ADMIN_ACCESS["audit.domainevent"] = AdminAccess(EVERYONE, NOBODY, NOBODY, NOBODY)
ADMIN_OBJECTS["audit.domainevent"] = _event_object

ADMIN_SITE_ROUTES["admin:campaigns_campaignreview_holds"] = {
    ANON: 302,
    ADMIN: 200,
    APPROVER: 200,
    MANAGER: 200,
    VIEWER: 200,
}

# Approver-level actions on a draft owned by another Manager: allowed, then refused by the table (400).
REVIEWER_REFUSED_BY_TABLE = {ANON: 401, ADMIN: 400, APPROVER: 400, MANAGER: 403, VIEWER: 403}


def _event_url(ctx):
    from audit.models import DomainEvent

    _campaign_url(ctx)
    return f"/api/v1/audit-events/{DomainEvent.objects.order_by('-id').first().pk}/"


API_ROUTES += [
    Route(
        "campaign-lifecycle-request-approval",
        "post",
        lambda c: _campaign_url(c, "request-approval/"),
        _only_admin(400),
        data=lambda c: {"comment": "no test run yet"},
        label="without a test run",
    ),
    Route(
        "campaign-lifecycle-approve",
        "post",
        lambda c: _campaign_url(c, "approve/"),
        REVIEWER_REFUSED_BY_TABLE,
        data=lambda c: {},
        label="a draft",
    ),
    Route(
        "campaign-lifecycle-request-changes",
        "post",
        lambda c: _campaign_url(c, "request-changes/"),
        REVIEWER_REFUSED_BY_TABLE,
        data=lambda c: {"comment": "x"},
        label="a draft",
    ),
    Route(
        "campaign-lifecycle-publish",
        "post",
        lambda c: _campaign_url(c, "publish/"),
        REVIEWER_REFUSED_BY_TABLE,
        label="a draft",
    ),
    Route(
        "campaign-lifecycle-lifecycle",
        "post",
        lambda c: _campaign_url(c, "lifecycle/pause/"),
        REVIEWER_REFUSED_BY_TABLE,
        label="pause a draft",
    ),
    Route(
        "campaign-lifecycle-trigger",
        "post",
        lambda c: _campaign_url(c, "trigger/"),
        REVIEWER_REFUSED_BY_TABLE,
        data=lambda c: {"variables": {}},
        label="not published",
    ),
    Route(
        "campaign-lifecycle-duplicate",
        "post",
        lambda c: _campaign_url(c, "duplicate/"),
        {ANON: 401, ADMIN: 201, APPROVER: 403, MANAGER: 201, VIEWER: 403},
        data=lambda c: {},
    ),
    Route("campaign-lifecycle-versions", "get", lambda c: _campaign_url(c, "versions/"), _all(200)),
    Route(
        "campaign-lifecycle-version-detail",
        "get",
        lambda c: _campaign_url(c, f"versions/{_reviewed(c).number}/"),
        _all(200),
    ),
    Route("campaign-lifecycle-schedule", "get", lambda c: _campaign_url(c, "schedule/"), _all(200)),
    Route(
        "campaign-lifecycle-schedule",
        "put",
        lambda c: _campaign_url(c, "schedule/"),
        _only_admin(200),
        data=lambda c: {"kind": "daily", "rule": {"time": "09:00"}},
    ),
    Route(
        "campaign-lifecycle-schedule-preview",
        "get",
        lambda c: _campaign_url(c, "schedule/preview/"),
        _all(200),
    ),
    Route("campaign-lifecycle-launches", "get", lambda c: _campaign_url(c, "launches/"), _all(200)),
    Route("campaign-lifecycle-holds", "get", lambda c: _campaign_url(c, "holds/"), _all(200)),
    Route(
        "campaign-lifecycle-hold-confirm",
        "post",
        lambda c: _campaign_url(c, "holds/999999/confirm/"),
        {ANON: 401, ADMIN: 404, APPROVER: 404, MANAGER: 403, VIEWER: 403},
        label="nothing held",
    ),
    Route("campaign-lifecycle-history", "get", lambda c: _campaign_url(c, "history/"), _all(200)),
    Route("audit-event-list", "get", lambda c: "/api/v1/audit-events/", _all(200)),
    Route("audit-event-detail", "get", _event_url, _all(200)),
    Route(
        "audit-event-detail",
        "delete",
        _event_url,
        {ANON: 401, ADMIN: 405, APPROVER: 403, MANAGER: 403, VIEWER: 403},
        label="not editable",
    ),
]

# Per-object admin pages of the campaign (lifecycle buttons, schedule): every profile and anonymous
# are checked by campaigns/tests/test_lifecycle_admin.py.
NOT_PAGES["admin:campaigns_campaign_lifecycle"] = (
    "a per-object POST page: campaigns/tests/test_lifecycle_admin.py checks it for every profile"
)
NOT_PAGES["admin:campaigns_campaign_schedule"] = (
    "a per-object page: campaigns/tests/test_lifecycle_admin.py checks it for every profile"
)
