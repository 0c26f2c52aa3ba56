"""Property tests: generated rule trees never cause a server error, compile only to SELECT statements,
never put a value into the SQL text, and unknown fields and links are rejected with a path."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiences.catalog import database
from audiences.query import services
from audiences.query.compiler import CatalogSnapshot
from audiences.query.rules.operators import OPERATORS
from audiences.tests.rules_fixtures import make_shop

MARK = "zq"  # every generated text value carries it, so it can be looked for in the SQL
FIELDS = [
    "age",
    "score",
    "balance",
    "first_name",
    "vip",
    "birth_date",
    "last_seen",
    "tier",
    "nope",
    "store.city",
    "purchases.amount",
    "purchases.product.brand",
    "ghost.link",
]
texts = st.text(alphabet="ab'%_\"; -", max_size=6).map(lambda s: MARK + s)
scalars = st.one_of(
    texts,
    st.integers(-(10**6), 10**6).map(lambda i: i * 1000 + 777_001),
    st.booleans(),
    st.sampled_from(["2020-01-01", "2024-02-29T10:00:00Z"]),
    st.none(),
)
condition = st.fixed_dictionaries(
    {
        "type": st.just("condition"),
        "field": st.sampled_from(FIELDS),
        "operator": st.sampled_from(sorted(OPERATORS)),
    },
    optional={"value": scalars, "values": st.lists(scalars, max_size=3), "case_insensitive": st.booleans()},
)
leaf = st.one_of(
    condition,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["exists", "not_exists"]),
            "link": st.sampled_from(["purchases", "visits", "store", "nowhere"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("aggregate"),
            "link": st.sampled_from(["purchases", "store"]),
            "function": st.sampled_from(["count", "sum", "avg", "max", "bogus"]),
            "field": st.sampled_from(["amount", "purchased_on", "nope"]),
            "operator": st.sampled_from(["greater", "less", "between", "contains"]),
            "value": scalars,
        }
    ),
    st.dictionaries(st.sampled_from(["type", "field", "x"]), scalars, max_size=3),
)
rules = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("group"),
                "op": st.sampled_from(["and", "or", "except", "xor"]),
                "children": st.lists(children, max_size=4),
            }
        ),
        st.fixed_dictionaries({"type": st.just("exists"), "link": st.just("purchases"), "where": children}),
    ),
    max_leaves=8,
)


@pytest.fixture
def shop(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        from accounts.services import user_create

        admin = user_create(username="prop-admin", profiles=["Administrator"])
        built = make_shop(admin, prefix="prop_")
        built["catalog"] = CatalogSnapshot()
        yield built
        transaction.set_rollback(True)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(rule=rules)
def test_generated_rules_compile_safely(shop, rule):
    try:
        select = services.rule_select(dimension=shop["dimension"], rule=rule)
    except ValidationError as error:
        # then: a rejection always names a node
        assert all(key == "rule" or key.startswith("rule.") for key in error.message_dict)
        return
    sql, _params = database.compile_statement(select)
    assert sql.lstrip().upper().startswith("SELECT")
    assert ";" not in sql
    assert MARK not in sql
    assert "777001" not in sql
    for name in ("nope", "ghost", "nowhere"):
        assert name not in sql
    with transaction.atomic():
        database.fetch_all(select)  # runs without a database error


@pytest.mark.django_db
def test_unknown_fields_and_links_are_rejected_with_their_path(shop):
    rule = {
        "type": "group",
        "children": [
            {"type": "condition", "field": "ghost.city", "operator": "is_empty"},
            {
                "type": "exists",
                "link": "purchases",
                "where": {"type": "condition", "field": "nope", "operator": "is_empty"},
            },
        ],
    }
    errors = services.rule_validate(dimension=shop["dimension"], rule=rule)
    assert [(e.path, "unknown" in e.message.lower()) for e in errors] == [
        ("children[0].field", True),
        ("children[1].where.field", True),
    ]
    assert connection.vendor in ("sqlite", "postgresql")
