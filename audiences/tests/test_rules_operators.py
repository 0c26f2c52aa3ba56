"""Every operator on real rows, on the database under test, against an independent Python computation.

The Python side re-implements the documented meaning (docs/rules.md) directly on the rows kept in
``rules_fixtures.DATA``; nothing is shared with the compiler but the rule JSON.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fnmatch

import pytest
from django.utils import timezone

from audiences.catalog import database
from audiences.query import services
from audiences.query.rules.operators import OPERATORS
from audiences.tests.rules_fixtures import make_shop

D = decimal.Decimal


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


def ids_of(shop, rule, variables=None) -> set[int]:
    select = services.rule_select(dimension=shop["dimension"], rule=rule, variables=variables)
    return {row[0] for row in database.fetch_all(select)}


def empty(v) -> bool:
    return v is None or v == ""


def local_day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date()
    return value


def like(value: str, pattern: str, ci: bool) -> bool:
    translated = "".join(
        "*" if c == "%" else "?" if c == "_" else f"[{c}]" if c in "*?[" else c for c in pattern
    )
    if ci:
        return fnmatch.fnmatchcase(value.lower(), translated.lower())
    return fnmatch.fnmatchcase(value, translated)


def python_bounds(op: str, n: int | None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    day = dt.timedelta(days=1)

    def month_start(d: dt.date, shift: int) -> dt.date:
        y, m = divmod(d.year * 12 + d.month - 1 + shift, 12)
        return dt.date(y, m + 1, 1)

    return {
        "today": (today, today + day),
        "yesterday": (today - day, today),
        "this_week": (today - today.weekday() * day, today - today.weekday() * day + 7 * day),
        "this_month": (month_start(today, 0), month_start(today, 1)),
        "this_year": (dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)),
        "last_n_days": (today - (n or 0) * day, today + day),
        "next_n_days": (today, today + ((n or 0) + 1) * day),
        "last_n_weeks": (today - 7 * (n or 0) * day, today + day),
        "next_n_weeks": (today, today + (7 * (n or 0) + 1) * day),
        "last_n_months": (month_start(today, -(n or 0)), month_start(today, 1)),
        "next_n_months": (month_start(today, 0), month_start(today, (n or 0) + 1)),
    }[op]


def expected(op: str, value, values, ci: bool):
    """The documented meaning of ``op`` as a Python predicate on one value."""

    def fold(v):
        return v.lower() if ci and isinstance(v, str) else v

    def check(v):
        if op == "is_empty":
            return empty(v)
        if op == "is_not_empty":
            return not empty(v)
        if v is None:
            return False
        if OPERATORS[op].relative:
            start, end = python_bounds(op, value)
            return start <= local_day(v) < end
        v = fold(v)
        one = fold(value)
        return {
            "equal": lambda: v == one,
            "not_equal": lambda: v != one,
            "less": lambda: v < one,
            "less_or_equal": lambda: v <= one,
            "greater": lambda: v > one,
            "greater_or_equal": lambda: v >= one,
            "between": lambda: fold(values[0]) <= v <= fold(values[1]),
            "in": lambda: v in [fold(x) for x in values],
            "not_in": lambda: v not in [fold(x) for x in values],
            "starts_with": lambda: v.startswith(one),
            "not_starts_with": lambda: not v.startswith(one),
            "contains": lambda: one in v,
            "not_contains": lambda: one not in v,
            "like": lambda: like(v, value, ci),
            "not_like": lambda: not like(v, value, ci),
        }[op]()

    return check


def _typed(field: str, raw):
    if raw is None:
        return None
    if field in ("balance",):
        return D(str(raw))
    if field == "birth_date":
        return dt.date.fromisoformat(raw)
    return raw


# (field, operator, JSON value or values, case_insensitive)
CASES = [
    ("first_name", "equal", "Alice", False),
    ("first_name", "equal", "alice", True),
    ("first_name", "not_equal", "Alice", False),
    ("first_name", "not_equal", "alice", True),
    ("first_name", "less", "C", False),
    ("first_name", "less_or_equal", "Carla", False),
    ("first_name", "greater", "C", False),
    ("first_name", "greater_or_equal", "Carla", False),
    ("first_name", "between", ["B", "Z"], False),
    ("first_name", "in", ["Alice", "bob", "nobody"], False),
    ("first_name", "in", ["ALICE", "BOB"], True),
    ("first_name", "not_in", ["Alice", "bob"], False),
    ("first_name", "is_empty", None, False),
    ("first_name", "is_not_empty", None, False),
    ("first_name", "starts_with", "Al", False),
    ("first_name", "starts_with", "al", True),
    ("first_name", "not_starts_with", "Al", False),
    ("first_name", "contains", "li", False),
    ("first_name", "contains", "LI", True),
    ("first_name", "contains", "%", False),
    ("first_name", "not_contains", "li", False),
    ("first_name", "like", "A%", False),
    ("first_name", "like", "a%", True),
    ("first_name", "like", "Al_ce", False),
    ("first_name", "like", "%*%", False),
    ("first_name", "not_like", "A%", False),
    ("age", "equal", 40, False),
    ("age", "not_equal", 40, False),
    ("age", "less", 40, False),
    ("age", "less_or_equal", 40, False),
    ("age", "greater", 40, False),
    ("age", "greater_or_equal", 40, False),
    ("age", "between", [30, 50], False),
    ("age", "in", [20, 25, 99], False),
    ("age", "not_in", [20, 25], False),
    ("age", "is_empty", None, False),
    ("age", "is_not_empty", None, False),
    ("score", "greater", 0.5, False),
    ("score", "between", [-1, 1.25], False),
    ("balance", "greater_or_equal", "62.5", False),
    ("balance", "less", 50, False),
    ("balance", "in", ["25.00", 75], False),
    ("vip", "equal", True, False),
    ("vip", "not_equal", True, False),
    ("vip", "is_empty", None, False),
    ("tier", "equal", "gold", False),
    ("tier", "in", ["gold", "bronze"], False),
    ("birth_date", "less", "1980-01-01", False),
    ("birth_date", "between", ["1970-01-01", "1990-12-31"], False),
    ("birth_date", "is_empty", None, False),
    ("last_seen", "is_not_empty", None, False),
    *[
        ("last_seen", op, None, False)
        for op in ("today", "yesterday", "this_week", "this_month", "this_year")
    ],
    *[("last_seen", op, n, False) for op in ("last_n_days", "next_n_days") for n in (1, 7, 30)],
    *[
        ("last_seen", op, n, False)
        for op in ("last_n_weeks", "next_n_weeks", "last_n_months", "next_n_months")
        for n in (1, 3)
    ],
    ("birth_date", "this_year", None, False),
    ("birth_date", "last_n_months", 12, False),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "op", "raw", "ci"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_operator_matches_python(shop, field, op, raw, ci):
    # given
    rule = {"type": "condition", "field": field, "operator": op, "case_insensitive": ci}
    values = None
    if OPERATORS[op].arity in ("two", "many"):
        rule["values"] = raw
        values = [_typed(field, v) for v in raw]
    elif raw is not None:
        rule["value"] = raw
    value = raw if OPERATORS[op].relative or values is not None else _typed(field, raw)
    check = expected(op, value, values, ci)
    # when
    got = ids_of(shop, rule)
    # then
    want = {c["id"] for c in shop["data"]["customer"] if check(c[field])}
    assert got == want


def test_every_operator_is_covered():
    assert {case[1] for case in CASES} == set(OPERATORS)


@pytest.mark.django_db
def test_operator_on_a_path_through_links_means_some_related_row(shop):
    # given: brand reached through purchases (1-N) then product (N-1)
    rule = {"type": "condition", "field": "purchases.product.brand", "operator": "equal", "value": "Acme"}
    data = shop["data"]
    brand = {p["id"]: p["brand"] for p in data["product"]}
    # when
    got = ids_of(shop, rule)
    # then
    want = {p["customer_id"] for p in data["purchase"] if brand.get(p["product_id"]) == "Acme"}
    assert got == want


@pytest.mark.django_db
def test_is_empty_on_an_n_to_1_path_includes_rows_without_a_related_row(shop):
    rule = {"type": "condition", "field": "store.city", "operator": "is_empty"}
    city = {s["id"]: s["city"] for s in shop["data"]["store"]}
    want = {c["id"] for c in shop["data"]["customer"] if empty(city.get(c["store_id"]))}
    assert ids_of(shop, rule) == want


@pytest.mark.django_db
def test_parameter_and_variable_values_are_bound(shop):
    rule = {"type": "condition", "field": "age", "operator": "greater", "parameter": "min_age"}
    want = {c["id"] for c in shop["data"]["customer"] if c["age"] is not None and c["age"] > 50}
    assert ids_of(shop, rule, {"min_age": 50}) == want


@pytest.mark.django_db
def test_expression_on_the_left_and_on_the_right(shop):
    # given
    left = {"type": "condition", "left": "@age * 2", "operator": "greater", "value": 100}
    right = {"type": "condition", "field": "score", "operator": "less", "expression": "@age / 10"}
    data = shop["data"]["customer"]
    # then
    assert ids_of(shop, left) == {c["id"] for c in data if c["age"] is not None and c["age"] * 2 > 100}
    assert ids_of(shop, right) == {
        c["id"]
        for c in data
        if c["age"] is not None and c["score"] is not None and c["score"] < c["age"] / 10
    }


@pytest.mark.django_db
def test_expression_through_an_n_to_1_link(shop):
    rule = {"type": "condition", "left": "[store/@city]", "operator": "equal", "value": "Paris"}
    city = {s["id"]: s["city"] for s in shop["data"]["store"]}
    want = {c["id"] for c in shop["data"]["customer"] if city.get(c["store_id"]) == "Paris"}
    assert ids_of(shop, rule) == want
