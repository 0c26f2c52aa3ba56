"""Personal data stays behind the preview permission through every activity (issue 12 §3).

Property over the activity registry: for every registered type that produces a population, personal
values fed into it never reach a transition preview (API and admin run page) for a Viewer, and do
reach it for a user with the personal-data permission. The check is on values: every personal value
of the catalog below ends in ``@secret.test``, and a Viewer's preview must not contain that text.
A new activity type without a scenario here fails ``test_every_registered_type_has_a_scenario``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from django.test import Client
from django.urls import reverse

from accounts.profiles import ProductProfile
from audiences.catalog import database
from audiences.catalog import services as catalog
from audiences.catalog.selectors import schema_table
from audiences.saved.services import audience_create
from campaigns.activities import registry
from campaigns.engine import lineage
from campaigns.tests.graphs import A, T, campaign_with, test_run

SECRET = "@secret.test"
PEOPLE = 6


@pytest.fixture
def catalog_with_secrets(make_user):
    """``people`` (personal e-mail), their ``visits`` (personal contact e-mail) and ``badges`` (a
    dimension whose key itself is personal), every personal value ending in ``@secret.test``."""
    admin = make_user(ProductProfile.ADMINISTRATOR, username="pii-admin")
    pk = {"name": "id", "type": "bigint", "primary_key": True}
    people = catalog.schema_create(
        actor=admin,
        name="people",
        fields=[
            pk,
            {"name": "email", "type": "string", "is_personal": True},
            {"name": "tier", "type": "string"},
        ],
    )
    visits = catalog.schema_create(
        actor=admin,
        name="visits",
        fields=[
            pk,
            {"name": "person_id", "type": "bigint"},
            {"name": "contact_email", "type": "string", "is_personal": True},
            {"name": "place", "type": "string"},
        ],
    )
    badges = catalog.schema_create(
        actor=admin,
        name="badges",
        fields=[
            {"name": "code", "type": "string", "primary_key": True, "is_personal": True},
            {"name": "person_id", "type": "bigint"},
        ],
    )
    for many, reverse_name in ((visits, "visits"), (badges, "badges")):
        catalog.link_create(
            actor=admin,
            source=many,
            target=people,
            name="person",
            reverse_name=reverse_name,
            cardinality="many_to_one",
            keys=[["person_id", "id"]],
        )
    catalog.targeting_dimension_create(
        actor=admin, schema=people, data={"identity_field": "id", "email_field": "email"}
    )
    catalog.targeting_dimension_create(actor=admin, schema=badges, data={"identity_field": "code"})
    database.execute(
        sa.insert(schema_table(people)).values(
            [
                {"id": n, "email": f"person{n}{SECRET}", "tier": "gold" if n % 2 else "silver"}
                for n in range(1, PEOPLE + 1)
            ]
        )
    )
    database.execute(
        sa.insert(schema_table(visits)).values(
            [
                {"id": n, "person_id": 1 + n % PEOPLE, "contact_email": f"visit{n}{SECRET}", "place": "north"}
                for n in range(1, 2 * PEOPLE + 1)
            ]
        )
    )
    database.execute(
        sa.insert(schema_table(badges)).values(
            [{"code": f"badge{n}{SECRET}", "person_id": n} for n in range(1, PEOPLE + 1)]
        )
    )
    return admin


# -- scenarios: a graph feeding personal values into the activity ``x`` -----------------------------
# ``src`` is every person with their e-mail (a personal column) added by an Enrichment; ``src2`` the
# same people with a non-personal column of the same name (so a type that trusted only one input's
# flags would show the other input's e-mails).
SRC = [
    A("people", "targeting.build_audience", dimension="people"),
    A("src", "targeting.enrichment", fields=[{"name": "mail", "path": "email"}]),
]
SRC_EDGES = [T("people", "src")]
SRC2 = [
    A("people2", "targeting.build_audience", dimension="people"),
    A("src2", "targeting.enrichment", fields=[{"name": "mail", "path": "tier"}]),
]
SRC2_EDGES = [T("people2", "src2")]
FILE_ROWS = "email,note\n" + "".join(f"person{n}{SECRET},hello\n" for n in range(1, PEOPLE + 1))


@dataclass
class Scenario:
    activities: list[dict]
    transitions: list[dict]
    carries: bool = True  # the subject's outputs hold personal values (a permitted user sees them)
    # columns a Viewer still sees in every output (failing closed must not hide what is not personal)
    visible: tuple[str, ...] = ("id",)
    setup: Callable | None = None


def one_input(type_key, **config) -> Scenario:
    return Scenario([*SRC, A("x", type_key, **config)], [*SRC_EDGES, T("src", "x")])


def _static_audience(admin, settings, tmp_path):
    from audiences.catalog.models import TargetingDimension

    dimension = TargetingDimension.objects.get(schema__name="badges")
    audience_create(actor=admin, name="pii-badges", dimension=dimension, kind="static", rule=None)


def _file(admin, settings, tmp_path):
    settings.OC_CAMPAIGN_FILES_DIR = tmp_path
    (tmp_path / "people.csv").write_text(FILE_ROWS, encoding="utf-8")


SCENARIOS: dict[str, Scenario] = {
    # a dimension whose key is personal
    "targeting.build_audience": Scenario(
        [A("x", "targeting.build_audience", dimension="badges")], [], visible=()
    ),
    "targeting.incremental_query": Scenario(
        [A("x", "targeting.incremental_query", dimension="badges")], [], visible=()
    ),
    "targeting.read_audience": Scenario(
        [A("x", "targeting.read_audience", audience="pii-badges")], [], setup=_static_audience, visible=()
    ),
    "targeting.change_dimension": Scenario(
        [*SRC, A("x", "targeting.change_dimension", link="badges", dimension="badges")],
        [*SRC_EDGES, T("src", "x")],
        visible=(),
    ),
    # derived columns: aggregates, collected rows, fields through links, another population's columns
    "targeting.enrichment": Scenario(
        [
            A("base", "targeting.build_audience", dimension="people"),
            *SRC,
            A(
                "x",
                "targeting.enrichment",
                aggregates=[
                    {"name": "last_contact", "link": "visits", "function": "max", "field": "contact_email"},
                    {"name": "first_contact", "link": "visits", "function": "min", "field": "contact_email"},
                    {"name": "visit_count", "link": "visits", "function": "count"},
                ],
                related=[{"link": "visits", "fields": ["contact_email", "place"], "count": 2}],
                join_columns=["mail"],
            ),
        ],
        [*SRC_EDGES, T("base", "x"), T("src", "x")],
        visible=("id", "visit_count", "visits1_place"),
    ),
    # the primary input's column is not personal, the other input's column of that name is
    "targeting.combine": Scenario(
        [*SRC2, *SRC, A("x", "targeting.combine", operation="union", primary="src2", on=["id", "mail"])],
        [*SRC2_EDGES, *SRC_EDGES, T("src2", "x"), T("src", "x")],
    ),
    "targeting.split": one_input(
        "targeting.split",
        subsets=[{"code": "a", "limit": {"kind": "count", "value": 2}}],
        single_table=True,
        complement=True,
    ),
    "targeting.deduplication": one_input("targeting.deduplication", fields=["mail"], complement=True),
    "targeting.save_audience": one_input("targeting.save_audience", audience="pii-saved"),
    # the file's columns are personal unless the user unmarks them
    "targeting.load_file": Scenario(
        [A("x", "targeting.load_file", file="people.csv", columns=[{"name": "email"}, {"name": "note"}])],
        [],
        setup=_file,
        visible=("line",),
    ),
    # the user unmarked the file's e-mail column, but it is matched to a personal field
    "targeting.reconciliation": Scenario(
        [
            A(
                "load",
                "targeting.load_file",
                file="people.csv",
                columns=[{"name": "email", "personal": False}, {"name": "note", "personal": False}],
            ),
            A(
                "x",
                "targeting.reconciliation",
                dimension="people",
                keys=[{"column": "email", "field": "email"}],
            ),
        ],
        [T("load", "x")],
        setup=_file,
        visible=("id", "note"),
    ),
    "flow.fork": one_input("flow.fork", branches=["a", "b"]),
    "flow.and_join": Scenario(
        [*SRC2, *SRC, A("x", "flow.and_join", primary="src")],
        [*SRC2_EDGES, *SRC_EDGES, T("src2", "x"), T("src", "x")],
    ),
    "flow.wait": one_input("flow.wait", minutes=0),
    "flow.test": one_input("flow.test", conditions=[{"output": "big", "operator": "gt", "value": 1}]),
    "flow.alert": one_input("flow.alert", users=["pii-admin"], message="Hello"),
    "flow.end": Scenario([*SRC, A("x", "flow.end")], [*SRC_EDGES, T("src", "x")], carries=False),
}


def test_every_registered_type_has_a_scenario():
    # Channel types are registered by the channels app; channels/tests/test_personal_flow.py holds theirs.
    engine_types = {key for key in registry.all_types() if not key.startswith("channel.")}
    assert engine_types == set(SCENARIOS)


def previews(run, user) -> list[str]:
    """The preview of every activated output of ``x`` as ``user`` reads it: API JSON, admin page."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    texts = []
    results = run.results.filter(source_key="x", activated=True).exclude(table_name="")
    for result in results:
        url = f"/api/v1/campaigns/{run.campaign_id}/runs/{run.pk}/results/{result.pk}/preview/?limit=100"
        response = api.get(url)
        assert response.status_code == 200, response.content
        texts.append(response.content.decode())
    web = Client()
    web.force_login(user)
    page = web.get(reverse("admin:campaigns_run_change", args=[run.pk]))
    assert page.status_code == 200
    # the run page's previews of x's outputs (upstream ones may hold values a user unmarked)
    sections = page.content.decode().split("<h3>")
    assert sum(s.startswith("x.") for s in sections) == results.count()
    texts.append("".join(s for s in sections if s.startswith("x.")))
    return texts


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_personal_values_never_reach_a_preview_without_the_permission(
    key, catalog_with_secrets, viewer, drive, settings, tmp_path
):
    admin = catalog_with_secrets
    scenario = SCENARIOS[key]
    if scenario.setup:
        scenario.setup(admin, settings, tmp_path)
    ends = [A(f"end_{o}", "flow.end") for o in registry.get(key).outputs(_config(scenario))]
    campaign = campaign_with(
        admin,
        [*scenario.activities, *ends],
        [*scenario.transitions, *(T("x", e["key"], e["key"][4:]) for e in ends)],
    )
    run = test_run(drive, admin, campaign)
    assert run.status == "done", [(t.activity_key, t.status, t.message) for t in run.tasks.all()]
    outputs = run.results.filter(source_key="x", activated=True).exclude(table_name="")
    assert outputs.exists() == scenario.carries
    # then a Viewer reads no personal value anywhere in the previews of the activity's outputs
    texts = previews(run, viewer)
    for text in texts:
        assert SECRET not in text
    # but still sees the columns that are not personal
    for text in texts[:-1]:
        shown = [c["name"] for c in json.loads(text)["columns"]]
        assert set(scenario.visible) <= set(shown), shown
    # and a user with the permission reads them (the values do flow through the activity)
    if scenario.carries:
        assert any(SECRET in text for text in previews(run, admin)[:-1])


def _config(scenario):
    subject = next(a for a in scenario.activities if a["key"] == "x")
    return registry.get(subject["type"]).parse(subject["config"])


# -- the lineage itself, on statements the activities do not write today ------------------------------
def _table():
    return sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, info={"personal": False}),
        sa.Column("email", sa.String, info={"personal": True}),
        sa.Column("untyped", sa.String),
    )


def test_lineage_follows_values_through_expressions_and_fails_closed():
    t = _table()
    inner = sa.select(t.c.id.label("k"), sa.func.lower(t.c.email).label("low")).subquery()
    statement = sa.select(
        t.c.id,
        sa.func.count().label("n"),
        sa.case((t.c.id > 1, t.c.email), else_=sa.literal("x")).label("c"),
        sa.func.substr(t.c.email, 1, 3).label("prefix"),
        sa.select(inner.c.low).where(inner.c.k == t.c.id).scalar_subquery().label("sub"),
        sa.literal_column("'raw'").label("raw"),
        t.c.untyped,
        sa.exists(sa.select(sa.literal(1)).where(t.c.email == "a")).label("any"),
    )
    assert lineage.personal_flags(statement) == [False, False, True, True, True, True, True, False]
    union = sa.union(sa.select(t.c.id, t.c.id.label("v")), sa.select(t.c.id, t.c.email))
    assert lineage.personal_flags(union) == [False, True]
    # a column description list that does not match the statement: everything is personal
    assert lineage.flag_columns([{"name": "id", "personal": False}], statement) == [
        {"name": "id", "personal": True}
    ]


def test_load_file_columns_are_personal_unless_unmarked_and_junk_names_the_setting():
    from campaigns.activities.config import ConfigError

    load = registry.get("targeting.load_file")
    config = load.parse(
        {"file": "f.csv", "columns": [{"name": "email"}, {"name": "points", "personal": False}]}
    )
    assert [c.personal for c in config.columns] == [True, False]
    with pytest.raises(ConfigError) as excinfo:
        load.parse({"file": "f.csv", "columns": [{"name": "email", "personal": "no"}]})
    assert excinfo.value.path == "columns.0.personal"
