"""The role-by-action matrix: who may open which admin page and call which API route.

Later issues extend it: add a row to ``ADMIN_ACCESS`` and an ``ADMIN_OBJECTS`` factory for each new
admin model, and a ``Route`` to ``API_ROUTES`` for each new endpoint. ``test_role_matrix`` fails when
an admin model or a named URL exists that the matrix does not cover.

Expectations are written by hand from the product-profile table in accounts/README.md; they are
not computed from the policy they check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ADMIN, APPROVER, MANAGER, VIEWER = "Administrator", "Approver", "Manager", "Viewer"
ANON = "anonymous"
EVERYONE = frozenset({ADMIN, APPROVER, MANAGER, VIEWER})
ONLY_ADMIN = frozenset({ADMIN})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AdminAccess:
    """Which profiles may view, add, change and delete rows of one admin model.

    ``change`` and ``delete`` are about an object the matrix creates owned by somebody else.
    """

    view: frozenset[str]
    add: frozenset[str]
    change: frozenset[str]
    delete: frozenset[str]


ADMIN_ACCESS: dict[str, AdminAccess] = {
    "accounts.user": AdminAccess(ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    "auth.group": AdminAccess(EVERYONE, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    "authtoken.tokenproxy": AdminAccess(ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    "django_q.schedule": AdminAccess(ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    "django_q.success": AdminAccess(ONLY_ADMIN, NOBODY, NOBODY, ONLY_ADMIN),
    "django_q.failure": AdminAccess(ONLY_ADMIN, NOBODY, NOBODY, ONLY_ADMIN),
    "django_q.ormq": AdminAccess(ONLY_ADMIN, NOBODY, NOBODY, ONLY_ADMIN),
    # A Manager reads every campaign but changes only those owned or shared (not this one).
    "campaigns.campaign": AdminAccess(EVERYONE, frozenset({ADMIN, MANAGER}), ONLY_ADMIN, ONLY_ADMIN),
    # The data-model catalog: everyone reads it, only Administrators change it.
    "audiences.schema": AdminAccess(EVERYONE, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    "audiences.link": AdminAccess(EVERYONE, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    "audiences.targetingdimension": AdminAccess(EVERYONE, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
    # Ingestion runs: everyone reads them, Administrators start (add) and delete them, nobody edits one.
    "audiences.ingestionrun": AdminAccess(EVERYONE, ONLY_ADMIN, NOBODY, ONLY_ADMIN),
}


def _make_user(ctx):
    from accounts.services import user_create

    return user_create(username="someone-else", email="else@example.test")


def _make_group(ctx):
    from django.contrib.auth.models import Group

    return Group.objects.create(name="Spring team")


def _make_token(ctx):
    from rest_framework.authtoken.models import Token, TokenProxy

    token = Token.objects.create(user=_make_user(ctx))
    return TokenProxy.objects.get(key=token.key)  # its admin pages are keyed by the user's id


def _make_campaign(ctx):
    from campaigns.services import campaign_create

    return campaign_create(actor=ctx["owner"], name="Owned by another manager")


def _make_schedule(ctx):
    from django_q.models import Schedule

    return Schedule.objects.create(func="math.floor", args="1.5", schedule_type=Schedule.ONCE)


def _make_success(ctx):
    return _make_q_task(success=True)


def _make_failure(ctx):
    return _make_q_task(success=False)


def _make_q_task(*, success: bool):
    from django.utils import timezone
    from django_q.models import Task

    now = timezone.now()
    return Task.objects.create(
        id=f"t{int(success)}",
        name=f"task-{success}",
        func="math.floor",
        started=now,
        stopped=now,
        success=success,
    )


def _make_ormq(ctx):
    from django.utils import timezone
    from django_q.models import OrmQ

    return OrmQ.objects.create(key="default", payload="x", lock=timezone.now())


ADMIN_OBJECTS: dict[str, Callable] = {
    "accounts.user": _make_user,
    "auth.group": _make_group,
    "authtoken.tokenproxy": _make_token,
    "django_q.schedule": _make_schedule,
    "django_q.success": _make_success,
    "django_q.failure": _make_failure,
    "django_q.ormq": _make_ormq,
    "campaigns.campaign": _make_campaign,
    "audiences.schema": lambda ctx: _catalog(ctx)["lonely"],
    "audiences.link": lambda ctx: _catalog(ctx)["link"],
    "audiences.targetingdimension": lambda ctx: _catalog(ctx)["dimension"],
    "audiences.ingestionrun": lambda ctx: _ingestion_run(ctx),
}


def _ingestion_run(ctx):
    """A finished JSON run with one rejected value, loaded by the catalog's Administrator."""
    if "ingestion_run" not in ctx:
        from accounts.services import user_create
        from audiences.ingestion.services import records_upsert

        admin = user_create(username="ingestion-admin", profiles=["Administrator"])
        ctx["ingestion_run"] = records_upsert(
            actor=admin, schema=_catalog(ctx)["customer"], records=[{"id": "x"}], max_rejects=1
        )
    return ctx["ingestion_run"]


@dataclass(frozen=True)
class Route:
    """One API (or other non-admin) call and the status each role gets."""

    name: str  # the URL name it covers
    method: str
    path: Callable  # ctx -> path
    expect: dict[str, int]
    data: Callable | None = None  # ctx -> request body
    label: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}{' ' + self.label if self.label else ''}"


def _all(status: int, anon: int = 401) -> dict[str, int]:
    return {ANON: anon, ADMIN: status, APPROVER: status, MANAGER: status, VIEWER: status}


def _only_admin(ok: int, denied: int = 403) -> dict[str, int]:
    return {ANON: 401, ADMIN: ok, APPROVER: denied, MANAGER: denied, VIEWER: denied}


def _catalog(ctx) -> dict:
    """A small data model built once per test by an Administrator (schemas, a link, a dimension)."""
    if "catalog" not in ctx:
        from django.db import connection

        from accounts.services import user_create
        from audiences.catalog import services

        admin = user_create(username="catalog-admin", profiles=["Administrator"])
        pk = {"name": "id", "type": "bigint", "primary_key": True}
        customer = services.schema_create(
            actor=admin, name="customer", fields=[pk, {"name": "email", "type": "string"}]
        )
        purchase = services.schema_create(
            actor=admin, name="purchase", fields=[pk, {"name": "customer_id", "type": "bigint"}]
        )
        lonely = services.schema_create(actor=admin, name="lonely", fields=[pk])
        link = services.link_create(
            actor=admin,
            source=purchase,
            target=customer,
            name="customer",
            reverse_name="purchases",
            cardinality="many_to_one",
            keys=[["customer_id", "id"]],
        )
        dimension = services.targeting_dimension_create(
            actor=admin, schema=customer, data={"identity_field": "id"}
        )
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE legacy_people (id integer PRIMARY KEY, nick varchar(20))")
        ctx["catalog"] = {
            "customer": customer,
            "purchase": purchase,
            "lonely": lonely,
            "link": link,
            "dimension": dimension,
            "email": customer.fields.get(name="email"),
            "external_table": "legacy_people",
        }
    return ctx["catalog"]


API_ROUTES: list[Route] = [
    Route("api-root", "get", lambda c: "/api/v1/", _all(200)),
    Route("me", "get", lambda c: "/api/v1/me/", _all(200)),
    Route(
        "auth-token",
        "post",
        lambda c: "/api/v1/auth/token/",
        _all(200, anon=400),
        data=lambda c: {"username": c["username"], "password": c["password"]},
    ),
    Route("user-list", "get", lambda c: "/api/v1/users/", _only_admin(200)),
    Route("user-detail", "get", lambda c: f"/api/v1/users/{c['other'].pk}/", _only_admin(200)),
    Route(
        "user-profiles",
        "put",
        lambda c: f"/api/v1/users/{c['other'].pk}/profiles/",
        _only_admin(200),
        data=lambda c: {"profiles": ["Viewer"]},
    ),
    Route("campaign-list", "get", lambda c: "/api/v1/campaigns/", _all(200)),
    Route(
        "campaign-list",
        "post",
        lambda c: "/api/v1/campaigns/",
        {ANON: 401, ADMIN: 201, APPROVER: 403, MANAGER: 201, VIEWER: 403},
        data=lambda c: {"name": "New"},
    ),
    Route("campaign-detail", "get", lambda c: f"/api/v1/campaigns/{c['campaign'].pk}/", _all(200)),
    Route(
        "campaign-detail",
        "patch",
        lambda c: f"/api/v1/campaigns/{c['campaign'].pk}/",
        _only_admin(200),
        data=lambda c: {"name": "Renamed"},
    ),
    Route("campaign-detail", "delete", lambda c: f"/api/v1/campaigns/{c['campaign'].pk}/", _only_admin(204)),
    Route(
        "campaign-share",
        "post",
        lambda c: f"/api/v1/campaigns/{c['campaign'].pk}/share/",
        _only_admin(204),
        data=lambda c: {"actions": ["view"], "users": [c["other"].username]},
    ),
    # The data-model catalog (audiences): everyone reads, Administrators write.
    Route("schema-list", "get", lambda c: "/api/v1/schemas/", _all(200)),
    Route(
        "schema-list",
        "post",
        lambda c: "/api/v1/schemas/",
        _only_admin(201),
        data=lambda c: {"name": "store", "fields": [{"name": "id", "type": "integer", "primary_key": True}]},
    ),
    Route("schema-detail", "get", lambda c: f"/api/v1/schemas/{_catalog(c)['customer'].name}/", _all(200)),
    Route(
        "schema-detail",
        "patch",
        lambda c: f"/api/v1/schemas/{_catalog(c)['customer'].name}/",
        _only_admin(200),
        data=lambda c: {"label": "Clients"},
    ),
    Route(
        "schema-detail",
        "delete",
        lambda c: f"/api/v1/schemas/{_catalog(c)['lonely'].name}/",
        _only_admin(204),
    ),
    Route(
        "schema-indexes",
        "post",
        lambda c: f"/api/v1/schemas/{_catalog(c)['customer'].name}/indexes/",
        _only_admin(201),
        data=lambda c: {"fields": ["email"]},
    ),
    Route(
        "schema-register-external",
        "post",
        lambda c: "/api/v1/schemas/register-external/",
        _only_admin(201),
        data=lambda c: {"table_name": _catalog(c)["external_table"], "primary_key": ["id"]},
    ),
    Route(
        "schema-ddl-import",
        "post",
        lambda c: "/api/v1/schemas/ddl-import/",
        _only_admin(200),
        data=lambda c: {"ddl": "CREATE TABLE shop (id int PRIMARY KEY);"},
    ),
    Route(
        "schema-ddl-import-confirm",
        "post",
        lambda c: "/api/v1/schemas/ddl-import/confirm/",
        _only_admin(201),
        data=lambda c: {
            "schemas": [{"name": "shop", "fields": [{"name": "id", "type": "integer", "primary_key": True}]}]
        },
    ),
    Route("field-list", "get", lambda c: "/api/v1/fields/", _all(200)),
    Route(
        "field-list",
        "post",
        lambda c: "/api/v1/fields/",
        _only_admin(201),
        data=lambda c: {"schema": _catalog(c)["customer"].name, "name": "city", "type": "text"},
    ),
    Route("field-detail", "get", lambda c: f"/api/v1/fields/{_catalog(c)['email'].pk}/", _all(200)),
    Route(
        "field-detail",
        "patch",
        lambda c: f"/api/v1/fields/{_catalog(c)['email'].pk}/",
        _only_admin(200),
        data=lambda c: {"label": "E-mail"},
    ),
    Route("field-detail", "delete", lambda c: f"/api/v1/fields/{_catalog(c)['email'].pk}/", _only_admin(204)),
    Route("link-list", "get", lambda c: "/api/v1/links/", _all(200)),
    Route(
        "link-list",
        "post",
        lambda c: "/api/v1/links/",
        _only_admin(201),
        data=lambda c: {
            "source": "purchase",
            "target": _catalog(c)["customer"].name,
            "name": "buyer",
            "reverse_name": "buys",
            "cardinality": "many_to_one",
            "keys": [["customer_id", "id"]],
        },
    ),
    Route("link-detail", "get", lambda c: f"/api/v1/links/{_catalog(c)['link'].pk}/", _all(200)),
    Route(
        "link-detail",
        "patch",
        lambda c: f"/api/v1/links/{_catalog(c)['link'].pk}/",
        _only_admin(200),
        data=lambda c: {"label": "bought by"},
    ),
    Route("link-detail", "delete", lambda c: f"/api/v1/links/{_catalog(c)['link'].pk}/", _only_admin(204)),
    Route("targeting-dimension-list", "get", lambda c: "/api/v1/targeting-dimensions/", _all(200)),
    Route(
        "targeting-dimension-list",
        "post",
        lambda c: "/api/v1/targeting-dimensions/",
        _only_admin(201),
        data=lambda c: {"schema": _catalog(c)["purchase"].name, "identity_field": "id"},
    ),
    Route(
        "targeting-dimension-detail",
        "get",
        lambda c: f"/api/v1/targeting-dimensions/{_catalog(c)['dimension'].pk}/",
        _all(200),
    ),
    Route(
        "targeting-dimension-detail",
        "patch",
        lambda c: f"/api/v1/targeting-dimensions/{_catalog(c)['dimension'].pk}/",
        _only_admin(200),
        data=lambda c: {"label": "Customers"},
    ),
    Route(
        "targeting-dimension-detail",
        "delete",
        lambda c: f"/api/v1/targeting-dimensions/{_catalog(c)['dimension'].pk}/",
        _only_admin(204),
    ),
    # Ingestion (audiences): everyone follows runs; Administrators start loads and upsert records.
    Route("ingestion-run-list", "get", lambda c: "/api/v1/ingestion-runs/", _all(200)),
    Route(
        "ingestion-run-list",
        "post",
        lambda c: "/api/v1/ingestion-runs/",
        _only_admin(400),  # allowed, then refused: a JSON body carries no file
        data=lambda c: {"schema": _catalog(c)["customer"].name},
        label="without a file",
    ),
    Route(
        "ingestion-run-detail", "get", lambda c: f"/api/v1/ingestion-runs/{_ingestion_run(c).pk}/", _all(200)
    ),
    Route(
        "ingestion-run-rejects",
        "get",
        lambda c: f"/api/v1/ingestion-runs/{_ingestion_run(c).pk}/rejects/",
        _all(200),
    ),
    Route(
        "schema-records-list",
        "post",
        lambda c: f"/api/v1/schemas/{_catalog(c)['customer'].name}/records/",
        _only_admin(200),
        data=lambda c: {"records": [{"id": 1, "email": "a@example.test"}]},
    ),
    # Public documents and probes.
    Route("schema", "get", lambda c: "/api/schema/", _all(200, anon=200)),
    Route("swagger-ui", "get", lambda c: "/api/schema/swagger/", _all(200, anon=200)),
    Route("redoc", "get", lambda c: "/api/schema/redoc/", _all(200, anon=200)),
    Route("healthz", "get", lambda c: "/healthz", _all(200, anon=200)),
    Route(
        "set_language",
        "post",
        lambda c: "/i18n/setlang/",
        _all(302, anon=302),
        data=lambda c: {"language": "en"},
    ),
]

# Named admin URLs that are not a model's page, with who may open them (anonymous goes to login).
ADMIN_SITE_ROUTES: dict[str, dict[str, int]] = {
    "admin:index": {ANON: 302, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
    "admin:password_change": {ANON: 302, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
    "admin:password_change_done": {ANON: 302, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
    "admin:jsi18n": {ANON: 302, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
    "admin:login": {ANON: 200, ADMIN: 302, APPROVER: 302, MANAGER: 302, VIEWER: 302},
    "admin:audiences_schema_diagram": {ANON: 302, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
    "admin:audiences_schema_ddl_import": {ANON: 302, ADMIN: 200, APPROVER: 403, MANAGER: 403, VIEWER: 403},
}

# URL names the matrix deliberately does not call, with the reason.
NOT_PAGES = {
    "admin:logout": "POST-only sign-out, no data",
    "admin:autocomplete": "serves autocomplete_fields; checked with the model admin that uses it",
    "admin:view_on_site": "redirect helper, no model defines get_absolute_url",
    "admin:app_list": "covered per app in test_admin_app_index",
    "admin:auth_user_password_change": "covered by test_admin_password_change_of_another_user",
    "admin:None": "Django's redirect from an object URL to its change page",
}


# --- Campaign engine (issue 5): the graph document, runs, their commands and previews ----------------
def _engine_campaign(ctx):
    """The context's campaign (owned by a Manager) given a runnable graph on the catalog's dimension."""
    if "engine_graph" not in ctx:
        from campaigns.services.graph import campaign_graph_replace

        _catalog(ctx)
        document = {
            "activities": [
                {"key": "all", "type": "targeting.build_audience",
                 "config": {"dimension": "customer", "activate_when_empty": True}},
                {"key": "done", "type": "flow.end"},
            ],
            "transitions": [{"source": "all", "target": "done"}],
        }
        campaign = ctx["campaign"]
        campaign_graph_replace(actor=campaign.owner, campaign=campaign, document=document, version=0)
        ctx["engine_graph"] = document
    return ctx["campaign"]


def _engine_run(ctx):
    """A finished test run of that campaign, started by its owner, its tasks executed in-process."""
    if "engine_run" not in ctx:
        from campaigns.engine.executor import task_execute
        from campaigns.models import TaskStatus
        from campaigns.services.runs import run_start

        campaign = _engine_campaign(ctx)
        run = run_start(actor=campaign.owner, campaign=campaign)
        while run.tasks.filter(status=TaskStatus.QUEUED).exists():
            task_execute(run.tasks.filter(status=TaskStatus.QUEUED).first().pk)
        ctx["engine_run"] = run
    return ctx["engine_run"]


def _make_run(ctx):
    ctx["campaign"] = _make_campaign(ctx)
    return _engine_run(ctx)


def _engine_graph_body(ctx):
    from campaigns.models import Campaign

    version = Campaign.objects.get(pk=_engine_campaign(ctx).pk).graph_version
    return {**ctx["engine_graph"], "version": version}


ADMIN_ACCESS["campaigns.run"] = AdminAccess(EVERYONE, NOBODY, NOBODY, NOBODY)
ADMIN_OBJECTS["campaigns.run"] = _make_run


def _campaign_url(ctx, suffix=""):
    return f"/api/v1/campaigns/{_engine_campaign(ctx).pk}/{suffix}"


def _run_url(ctx, suffix=""):
    run = _engine_run(ctx)
    return f"/api/v1/campaigns/{run.campaign_id}/runs/{run.pk}/{suffix}"


API_ROUTES += [
    Route("campaign-activity-types", "get", lambda c: "/api/v1/campaigns/activity-types/", _all(200)),
    Route("campaign-graph", "get", lambda c: _campaign_url(c, "graph/"), _all(200)),
    Route(
        "campaign-graph",
        "put",
        lambda c: _campaign_url(c, "graph/"),
        _only_admin(200),
        data=lambda c: _engine_graph_body(c),
    ),
    Route("campaign-runs", "get", lambda c: _campaign_url(c, "runs/"), _all(200)),
    Route(
        "campaign-runs",
        "post",
        lambda c: _campaign_url(c, "runs/"),
        _only_admin(201),
        data=lambda c: {"kind": "test"},
    ),
    Route(
        "campaign-runs",
        "post",
        lambda c: _campaign_url(c, "runs/"),
        _all(403),  # publishing is the only way a live run starts, even for an Administrator
        data=lambda c: {"kind": "live"},
        label="live",
    ),
    Route("campaign-run-detail", "get", lambda c: _run_url(c), _all(200)),
    Route("campaign-run-command", "post", lambda c: _run_url(c, "restart/"), _only_admin(200)),
    Route(
        "campaign-run-preview",
        "get",
        lambda c: _run_url(c, f"results/{_engine_run(c).results.get().pk}/preview/"),
        _all(200),
    ),
]


# --- Channels (oc_channels): public tracking endpoints answer everybody alike --------------------
API_ROUTES += [
    Route("oc_channels:open", "get", lambda c: "/t/o/not-a-token/", _all(200, anon=200), label="bad token"),
    Route("oc_channels:click", "get", lambda c: "/t/c/not-a-token/", _all(404, anon=404), label="bad token"),
    Route(
        "oc_channels:unsubscribe",
        "get",
        lambda c: "/t/u/not-a-token/",
        _all(404, anon=404),
        label="bad token",
    ),
    Route(
        "oc_channels:provider_webhook",
        "post",
        lambda c: "/t/hooks/999999/",
        _all(404, anon=404),
        data=lambda c: {"events": []},
        label="unknown configuration",
    ),
    Route(
        "oc_channels:sms_inbound",
        "post",
        lambda c: "/t/sms/999999/inbound/",
        _all(404, anon=404),
        data=lambda c: {"from": "+15550000001", "text": "STOP"},
        label="unknown configuration",
    ),
    # ESP webhooks through anymail: refused for everybody while OC_ANYMAIL_WEBHOOK_SECRET is unset
    *(
        Route(
            f"oc_channels:anymail_{esp}_tracking",
            "post",
            lambda c, esp=esp: f"/t/anymail/{esp}/tracking/",
            _all(403, anon=403),
            data=lambda c: {},
            label="no webhook secret",
        )
        for esp in ("mailgun", "postmark", "brevo")
    ),
]


# --- Rules, saved filters and audiences (audiences.query / audiences.saved) ----------------------------
def _saved(ctx) -> dict:
    """A shared saved filter and a shared static audience owned by another Manager (ctx["owner"])."""
    if "saved" not in ctx:
        from audiences.saved import services

        dimension = _catalog(ctx)["dimension"]
        rule = {"type": "condition", "field": "email", "operator": "is_not_empty"}
        ctx["saved"] = {
            "filter": services.saved_filter_create(
                actor=ctx["owner"], name="Shared filter", dimension=dimension, rule=rule, visibility="shared"
            ),
            "audience": services.audience_create(
                actor=ctx["owner"],
                name="Shared audience",
                dimension=dimension,
                kind="static",
                rule=rule,
                visibility="shared",
            ),
        }
    return ctx["saved"]


ADMIN_ACCESS["audiences.savedfilter"] = AdminAccess(
    EVERYONE, frozenset({ADMIN, MANAGER}), ONLY_ADMIN, ONLY_ADMIN
)
ADMIN_OBJECTS["audiences.savedfilter"] = lambda ctx: _saved(ctx)["filter"]
ADMIN_ACCESS["audiences.audience"] = AdminAccess(
    EVERYONE, frozenset({ADMIN, MANAGER}), ONLY_ADMIN, ONLY_ADMIN
)
ADMIN_OBJECTS["audiences.audience"] = lambda ctx: _saved(ctx)["audience"]
ADMIN_SITE_ROUTES["admin:audiences_savedfilter_rule_editor"] = _all(200, anon=302)


def _rule_body(ctx, **extra) -> dict:
    rule = {"type": "condition", "field": "email", "operator": "is_not_empty"}
    return {"dimension": _catalog(ctx)["dimension"].pk, "rule": rule, **extra}


_ADD_SAVED = {ANON: 401, ADMIN: 201, APPROVER: 403, MANAGER: 201, VIEWER: 403}
API_ROUTES += [
    Route("rule-validate", "post", lambda c: "/api/v1/rules/validate/", _all(200), data=_rule_body),
    Route("rule-count", "post", lambda c: "/api/v1/rules/count/", _all(200), data=_rule_body),
    Route(
        "rule-cancel",
        "post",
        lambda c: "/api/v1/rules/count/cancel/",
        _all(200),
        data=lambda c: {"token": "0" * 32},
    ),
    Route(
        "rule-preview",
        "post",
        lambda c: "/api/v1/rules/preview/",
        _all(200),
        data=lambda c: _rule_body(c, fields=["email"], limit=5),
    ),
    Route("rule-sql", "post", lambda c: "/api/v1/rules/sql/", _all(200), data=_rule_body),
    Route(
        "rule-distribution",
        "post",
        lambda c: "/api/v1/rules/distribution/",
        _all(200),
        data=lambda c: _rule_body(c, field="email"),
    ),
    Route("saved-filter-list", "get", lambda c: "/api/v1/saved-filters/", _all(200)),
    Route(
        "saved-filter-list",
        "post",
        lambda c: "/api/v1/saved-filters/",
        _ADD_SAVED,
        data=lambda c: {**_rule_body(c), "name": "New filter"},
    ),
    Route(
        "saved-filter-detail", "get", lambda c: f"/api/v1/saved-filters/{_saved(c)['filter'].pk}/", _all(200)
    ),
    Route(
        "saved-filter-detail",
        "patch",
        lambda c: f"/api/v1/saved-filters/{_saved(c)['filter'].pk}/",
        _only_admin(200),
        data=lambda c: {"name": "Renamed"},
    ),
    Route(
        "saved-filter-detail",
        "delete",
        lambda c: f"/api/v1/saved-filters/{_saved(c)['filter'].pk}/",
        _only_admin(204),
    ),
    Route(
        "saved-filter-favourite",
        "post",
        lambda c: f"/api/v1/saved-filters/{_saved(c)['filter'].pk}/favourite/",
        _all(200),
    ),
    Route(
        "saved-filter-apply",
        "post",
        lambda c: f"/api/v1/saved-filters/{_saved(c)['filter'].pk}/apply/",
        _all(200),
        data=lambda c: {"parameters": {}},
    ),
    Route(
        "saved-filter-share",
        "post",
        lambda c: f"/api/v1/saved-filters/{_saved(c)['filter'].pk}/share/",
        _only_admin(204),
        data=lambda c: {"actions": ["view"], "users": [c["other"].username]},
    ),
    Route("audience-list", "get", lambda c: "/api/v1/audiences/", _all(200)),
    Route(
        "audience-list",
        "post",
        lambda c: "/api/v1/audiences/",
        _ADD_SAVED,
        data=lambda c: {**_rule_body(c), "name": "New audience", "kind": "rule"},
    ),
    Route("audience-detail", "get", lambda c: f"/api/v1/audiences/{_saved(c)['audience'].pk}/", _all(200)),
    Route(
        "audience-detail",
        "patch",
        lambda c: f"/api/v1/audiences/{_saved(c)['audience'].pk}/",
        _only_admin(200),
        data=lambda c: {"name": "Renamed"},
    ),
    Route(
        "audience-detail",
        "delete",
        lambda c: f"/api/v1/audiences/{_saved(c)['audience'].pk}/",
        _only_admin(204),
    ),
    Route(
        "audience-refresh",
        "post",
        lambda c: f"/api/v1/audiences/{_saved(c)['audience'].pk}/refresh/",
        _only_admin(200),
    ),
    Route(
        "audience-upload",
        "post",
        lambda c: "/api/v1/audiences/upload/",
        {ANON: 401, ADMIN: 400, APPROVER: 403, MANAGER: 400, VIEWER: 403},
        data=lambda c: {"name": "Uploaded", "dimension": _catalog(c)["dimension"].pk},
        label="no file",
    ),
    Route(
        "audience-share",
        "post",
        lambda c: f"/api/v1/audiences/{_saved(c)['audience'].pk}/share/",
        _only_admin(204),
        data=lambda c: {"actions": ["view"], "users": [c["other"].username]},
    ),
]


def _channels(ctx) -> dict:
    """Channel rows written directly (the matrix checks access, not the services)."""
    if "channels" not in ctx:
        from django.utils import timezone

        from channels import models as m

        configuration = m.ChannelConfiguration.objects.create(
            name="matrix-mail",
            channel="email",
            provider="smtp",
            dimension=_catalog(ctx)["dimension"],
            address_field="email",
        )
        delivery = m.Delivery.objects.create(
            channel="email", category="marketing", configuration=configuration
        )
        entry = m.LedgerEntry.objects.create(
            delivery=delivery,
            recipient_key="1",
            profile_key="1",
            channel="email",
            category="marketing",
            address="a@example.test",
            created_at=timezone.now(),
        )
        ctx["channels"] = {
            "configuration": configuration,
            "rule": m.CappingRule.objects.create(channel="email", max_messages=3, period="week"),
            "suppression": m.SuppressionEntry.objects.create(
                channel="email", address="x@example.test", reason="manual"
            ),
            "delivery": delivery,
            "entry": entry,
            "event": m.TrackingEvent.objects.create(
                delivery=delivery, entry=entry, kind="open", occurred_at=timezone.now()
            ),
            "caught": m.CaughtMessage.objects.create(
                channel="email", recipient="a@example.test", subject="Hi"
            ),
        }
    return ctx["channels"]


READ_ONLY = AdminAccess(EVERYONE, NOBODY, NOBODY, NOBODY)
ADMIN_ACCESS.update(
    {
        "oc_channels.channelconfiguration": AdminAccess(EVERYONE, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
        "oc_channels.cappingrule": AdminAccess(EVERYONE, ONLY_ADMIN, ONLY_ADMIN, ONLY_ADMIN),
        "oc_channels.suppressionentry": AdminAccess(EVERYONE, ONLY_ADMIN, NOBODY, ONLY_ADMIN),
        "oc_channels.delivery": READ_ONLY,
        "oc_channels.ledgerentry": READ_ONLY,
        "oc_channels.trackingevent": READ_ONLY,
        "oc_channels.caughtmessage": READ_ONLY,
    }
)
ADMIN_OBJECTS.update(
    {
        "oc_channels.channelconfiguration": lambda ctx: _channels(ctx)["configuration"],
        "oc_channels.cappingrule": lambda ctx: _channels(ctx)["rule"],
        "oc_channels.suppressionentry": lambda ctx: _channels(ctx)["suppression"],
        "oc_channels.delivery": lambda ctx: _channels(ctx)["delivery"],
        "oc_channels.ledgerentry": lambda ctx: _channels(ctx)["entry"],
        "oc_channels.trackingevent": lambda ctx: _channels(ctx)["event"],
        "oc_channels.caughtmessage": lambda ctx: _channels(ctx)["caught"],
    }
)
ADMIN_SITE_ROUTES["admin:oc_channels_delivery_report"] = {
    ANON: 302,
    ADMIN: 200,
    APPROVER: 200,
    MANAGER: 200,
    VIEWER: 200,
}
API_ROUTES += [
    Route("channel-configuration-list", "get", lambda c: "/api/v1/channel-configurations/", _all(200)),
    Route(
        "channel-configuration-list",
        "post",
        lambda c: "/api/v1/channel-configurations/",
        _only_admin(201),
        data=lambda c: {
            "name": "new-mail",
            "channel": "email",
            "provider": "smtp",
            "address_field": "email",
            "dimension": _catalog(c)["customer"].name,
        },
    ),
    Route(
        "channel-configuration-detail",
        "get",
        lambda c: f"/api/v1/channel-configurations/{_channels(c)['configuration'].pk}/",
        _all(200),
    ),
    Route(
        "channel-configuration-detail",
        "patch",
        lambda c: f"/api/v1/channel-configurations/{_channels(c)['configuration'].pk}/",
        _only_admin(200),
        data=lambda c: {"rate_per_second": 10},
    ),
    Route(
        "channel-configuration-detail",
        "delete",
        lambda c: f"/api/v1/channel-configurations/{_channels(c)['configuration'].pk}/",
        _only_admin(400),
        label="used by a delivery",
    ),
    Route(
        "channel-configuration-sms-length",
        "post",
        lambda c: "/api/v1/channel-configurations/sms-length/",
        _all(200),
        data=lambda c: {"text": "Hello"},
    ),
    Route("capping-rule-list", "get", lambda c: "/api/v1/capping-rules/", _all(200)),
    Route(
        "capping-rule-list",
        "post",
        lambda c: "/api/v1/capping-rules/",
        _only_admin(201),
        data=lambda c: {"channel": "sms", "max_messages": 2, "period": "day"},
    ),
    Route(
        "capping-rule-detail", "get", lambda c: f"/api/v1/capping-rules/{_channels(c)['rule'].pk}/", _all(200)
    ),
    Route(
        "capping-rule-detail",
        "patch",
        lambda c: f"/api/v1/capping-rules/{_channels(c)['rule'].pk}/",
        _only_admin(200),
        data=lambda c: {"max_messages": 4},
    ),
    Route(
        "capping-rule-detail",
        "delete",
        lambda c: f"/api/v1/capping-rules/{_channels(c)['rule'].pk}/",
        _only_admin(204),
    ),
    Route("suppression-list", "get", lambda c: "/api/v1/suppressions/", _all(200)),
    Route(
        "suppression-list",
        "post",
        lambda c: "/api/v1/suppressions/",
        _only_admin(201),
        data=lambda c: {"channel": "email", "address": "New@Example.test", "reason": "manual"},
    ),
    Route(
        "suppression-detail",
        "get",
        lambda c: f"/api/v1/suppressions/{_channels(c)['suppression'].pk}/",
        _all(200),
    ),
    Route(
        "suppression-detail",
        "delete",
        lambda c: f"/api/v1/suppressions/{_channels(c)['suppression'].pk}/",
        _only_admin(204),
    ),
    Route("delivery-list", "get", lambda c: "/api/v1/deliveries/", _all(200)),
    Route(
        "delivery-detail", "get", lambda c: f"/api/v1/deliveries/{_channels(c)['delivery'].pk}/", _all(200)
    ),
    Route(
        "delivery-report",
        "get",
        lambda c: f"/api/v1/deliveries/report/?delivery={_channels(c)['delivery'].pk}",
        _all(200),
    ),
]


# --- Canvas and rule builder (issue 8): admin pages, their JSON reads, the JavaScript catalog ---------
ADMIN_SITE_ROUTES.update(
    {
        "javascript-catalog": {ANON: 200, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
        "audiences-rule-builder": {ANON: 302, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
        "audiences-rule-builder-meta": {ANON: 401, ADMIN: 200, APPROVER: 200, MANAGER: 200, VIEWER: 200},
    }
)
NOT_PAGES["admin:campaigns_campaign_canvas"] = (
    "a per-object page: tests/browser/test_canvas_access.py checks it for every profile"
)
API_ROUTES += [
    Route("activity-schema-list", "get", lambda c: "/api/v1/activity-schemas/", _all(200)),
    Route(
        "activity-schema-outputs",
        "post",
        lambda c: "/api/v1/activity-schemas/outputs/",
        _all(200),
        data=lambda c: {"type": "flow.fork", "config": {"branches": ["a", "b"]}},
    ),
    Route(
        "audiences-rule-builder-expression",
        "post",
        lambda c: "/api/v1/rule-builder/expression/",
        _all(200),
        data=lambda c: {"dimension": _catalog(c)["dimension"].pk, "expression": "@id + 1"},
    ),
]
API_ROUTES += [
    Route(
        "delivery-proof",
        "post",
        lambda c: "/api/v1/deliveries/proof/",
        _all(400),
        data=lambda c: {
            "run": 999999,
            "activity_key": "mail",
            "recipient_keys": [1],
            "addresses": ["r@team.test"],
        },
        label="unknown run",
    ),
]


# Proof recipients (issue 12 §3): everyone reads the list, Administrators add and remove addresses.
def _proof_recipient(ctx):
    if "proof_recipient" not in ctx:
        from channels.models import ProofRecipient

        ctx["proof_recipient"] = ProofRecipient.objects.create(channel="email", address="seed@team.test")
    return ctx["proof_recipient"]


ADMIN_ACCESS["oc_channels.proofrecipient"] = AdminAccess(EVERYONE, ONLY_ADMIN, NOBODY, ONLY_ADMIN)
ADMIN_OBJECTS["oc_channels.proofrecipient"] = _proof_recipient
API_ROUTES += [
    Route("proof-recipient-list", "get", lambda c: "/api/v1/proof-recipients/", _all(200)),
    Route(
        "proof-recipient-list",
        "post",
        lambda c: "/api/v1/proof-recipients/",
        _only_admin(201),
        data=lambda c: {"channel": "email", "address": "Reviewer@Team.test", "label": "Reviewer"},
    ),
    Route(
        "proof-recipient-detail",
        "get",
        lambda c: f"/api/v1/proof-recipients/{_proof_recipient(c).pk}/",
        _all(200),
    ),
    Route(
        "proof-recipient-detail",
        "delete",
        lambda c: f"/api/v1/proof-recipients/{_proof_recipient(c).pk}/",
        _only_admin(204),
    ),
]

import tests.role_matrix_lifecycle  # noqa: E402, F401 - lifecycle rows (issue 7)
