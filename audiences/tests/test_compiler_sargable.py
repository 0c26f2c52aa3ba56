"""Age conditions become date ranges (``compiler/sargable.py``): the same rows as the per-row functions.

Two checks: the bound arithmetic against a Python copy of the library's SQL definitions (to the second,
for many "now" moments including month ends and leap days), and real rows on both databases, selected
by the rewritten condition and by the per-row function (``YearsOld(@d) + 0`` is not rewritten).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random

import pytest
import sqlalchemy as sa
from django.utils import timezone

from audiences.catalog import database
from audiences.catalog import services as catalog
from audiences.catalog.selectors import schema_table
from audiences.query import services
from audiences.query.compiler.sargable import bound


def _key(moment: dt.datetime) -> tuple:
    return moment.day, moment.hour, moment.minute, moment.second


def _months_between(now: dt.datetime, d: dt.datetime) -> int:
    """sqlparts.months_between: month difference, less one when d's day and time come after now's."""
    months = (now.year * 12 + now.month) - (d.year * 12 + d.month)
    if months > 0 and _key(now) < _key(d):
        return months - 1
    if months < 0 and _key(now) > _key(d):
        return months + 1
    return months


def _toward_zero(numerator: int, denominator: int) -> int:
    return abs(numerator) // denominator * (1 if numerator >= 0 else -1)


def _age(kind: str, now: dt.datetime, d: dt.datetime) -> int:
    if kind == "days":
        return _toward_zero(int(now.timestamp()) - int(d.timestamp() // 1), 86400)
    months = _months_between(now, d)
    return _toward_zero(months, 12) if kind == "years" else months


def test_bounds_match_the_library_definitions_to_the_second():
    # given
    rng = random.Random(7)
    start = dt.datetime(1996, 1, 1, tzinfo=dt.UTC)
    mismatches = []
    for index in range(600):
        now = start + dt.timedelta(seconds=rng.randrange(0, 40 * 365 * 86400))
        if index % 3 == 0:  # month ends and leap days, where month arithmetic clamps
            last = calendar.monthrange(now.year, now.month)[1]
            now = now.replace(
                day=rng.choice([28, 29, last]) if last >= 29 else last, hour=rng.choice([0, 23])
            )
        now = now.replace(microsecond=0)
        for kind in ("years", "months", "days"):
            scale = {"years": 365 * 86400, "months": 31 * 86400, "days": 86400}[kind]
            for v in rng.sample(range(-30, 60), 5):
                # when
                limit = bound(kind, v, now)
                # then: f(d) >= v exactly when d < limit, for dates around and away from the bound
                for shift in (-86400, -1, 0, 1, 86400, rng.randrange(-3 * scale, 3 * scale)):
                    d = (limit + dt.timedelta(seconds=shift)).replace(microsecond=rng.choice([0, 500000]))
                    for candidate in (d, d.replace(hour=0, minute=0, second=0, microsecond=0)):
                        if (_age(kind, now, candidate) >= v) != (candidate < limit):
                            mismatches.append((kind, v, now, candidate, limit))
    assert mismatches == []


@pytest.fixture
def people(administrator):
    """People born or seen just before and after the bounds of the conditions below."""
    schema = catalog.schema_create(
        actor=administrator,
        name="person",
        fields=[
            {"name": "id", "type": "bigint", "primary_key": True},
            {"name": "born", "type": "date"},
            {"name": "seen", "type": "datetime"},
        ],
    )
    dimension = catalog.targeting_dimension_create(
        actor=administrator, schema=schema, data={"identity_field": "id"}
    )
    now = timezone.now().replace(microsecond=0)
    rows, next_id = [], 1
    thresholds = [("years", v) for v in (17, 18, 40, 41)] + [("months", v) for v in (5, 6, 7, 8)]
    for kind, v in [*thresholds, *[("days", v) for v in (0, 1, 91, 365)]]:
        limit = bound(kind, v, now)
        for shift in (
            dt.timedelta(days=-1),
            dt.timedelta(days=1),
            dt.timedelta(minutes=-2),
            dt.timedelta(minutes=2),
        ):
            moment = limit + shift
            rows.append({"id": next_id, "born": moment.date(), "seen": moment})
            next_id += 1
    rows.append({"id": next_id, "born": None, "seen": None})
    database.execute(sa.insert(schema_table(schema)).values(rows))
    return dimension


CONDITIONS = [
    ("YearsOld(@born)", "greater", 40),
    ("YearsOld(@born)", "less_or_equal", 17),
    ("yearsold(@seen)", "greater_or_equal", 18),
    ("MonthsOld(@born)", "equal", 6),
    ("MonthsOld(@seen)", "between", [5, 7]),
    ("DaysOld(@seen)", "less", 365),
    ("DaysOld(@born)", "greater", 90),
    ("DaysOld(@seen)", "less_or_equal", 0),
    ("YearsAgo(@born)", "less", 18),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("left", "operator", "value"), CONDITIONS)
def test_rewritten_age_conditions_select_the_same_rows_as_the_functions(people, left, operator, value):
    # given
    key = "values" if isinstance(value, list) else "value"
    rewritten = {"type": "condition", "left": left, "operator": operator, key: value}
    per_row = {**rewritten, "left": f"{left} + 0"}
    # when
    compiled = services.rule_compile(dimension=people, rule=rewritten)
    fast = {row[0] for row in database.fetch_all(services.rule_select(dimension=people, rule=rewritten))}
    slow = {row[0] for row in database.fetch_all(services.rule_select(dimension=people, rule=per_row))}
    # then
    assert [d.plan for d in compiled.decisions] == [f"date_range:{left.split('(')[0]}"]
    assert fast == slow
    assert slow  # the rows straddle each bound: something matches, and not everything
    assert len(slow) < 49


@pytest.mark.django_db
def test_age_condition_is_a_plain_range_on_the_column(people):
    # given
    rule = {"type": "condition", "left": "YearsOld(@born)", "operator": "greater", "value": 40}
    # when
    sql = " ".join(services.rule_sql(dimension=people, rule=rule).split())
    params = services.rule_sql_params(dimension=people, rule=rule)["params"]
    # then
    assert "now()" not in sql.lower() and "'now'" not in sql.lower()  # no per-row age arithmetic
    assert "extract" not in sql.lower() and "strftime" not in sql.lower()
    assert ("t0.born <" in sql) or ("date(t0.born) <" in sql)
    assert len(params) == 1 and isinstance(params[0], str) and params[0][:2] in ("19", "20")


@pytest.mark.django_db
def test_age_conditions_the_rewrite_does_not_cover_keep_the_functions(people):
    # given: not_equal, an expression on the right, and a bad value (reported by the usual path)
    rules = [
        {"type": "condition", "left": "YearsOld(@born)", "operator": "not_equal", "value": 40},
        {
            "type": "condition",
            "left": "YearsOld(@born)",
            "operator": "greater",
            "expression": "MonthsOld(@born)",
        },
    ]
    # when / then
    for rule in rules:
        assert services.rule_compile(dimension=people, rule=rule).decisions == []
    bad = {"type": "condition", "left": "YearsOld(@born)", "operator": "greater", "value": "forty"}
    errors = services.rule_validate(dimension=people, rule=bad)
    assert [e.path for e in errors] == ["value"]
