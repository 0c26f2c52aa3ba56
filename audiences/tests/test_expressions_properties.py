"""Property tests: random expressions never crash the compiler, compile to SELECTs, and bind every value."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from django.db import DataError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiences.catalog.database import compile_statement
from audiences.query import ExpressionError, compile_expression
from audiences.query.functions import REGISTRY
from audiences.tests.expression_fixtures import COLUMNS, SAMPLE, create_sample_table, resolver

FIELDS = [*(f"@{name}" for name in COLUMNS), "@unknown_field", "[link/@qty]"]
FUNCTION_NAMES = [*sorted(spec.name for spec in REGISTRY.values()), "NoSuchFunction"]

# Marked values: long enough that finding them in the SQL text means a value was written into it.
integers = st.integers(min_value=100_000, max_value=999_999).map(str)
strings = st.from_regex(r"zq[a-z0-9 %_'\\]{3,8}", fullmatch=True).map(
    lambda s: "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"
)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)).map(
    lambda d: f"#{d.isoformat()}#"
)
atoms = st.one_of(
    st.sampled_from(FIELDS), integers, strings, dates, st.sampled_from(["true", "false", "null"])
)


def _combine(children):
    binary = st.tuples(
        children, st.sampled_from(["+", "-", "*", "/", "%", "=", "<>", "<", ">=", "and", "or"]), children
    ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["not ", "-"]), children).map("".join)
    call = st.tuples(st.sampled_from(FUNCTION_NAMES), st.lists(children, max_size=4)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    return st.one_of(binary, unary, call)


expressions = st.recursive(atoms, _combine, max_leaves=8)


def values_in(text: str) -> list[str]:
    """The marked literal values of an expression, as they would appear if written into SQL."""
    found = re.findall(r"\b\d{6}\b", text)
    found += [m.replace("''", "'") for m in re.findall(r"zq(?:[^'\\]|''|\\.)*", text)]
    return [value for value in found if len(value) >= 5]


def compile_or_reject(text: str):
    try:
        return compile_expression(text, resolver=resolver(), dialect=connection.vendor)
    except ExpressionError as error:
        assert error.message
        return None


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=expressions)
def test_random_expressions_compile_to_a_select_with_bound_values_or_a_clear_error(text):
    # given
    if not connection.introspection.table_names().__contains__(SAMPLE.name):
        create_sample_table()
    # when
    compiled = compile_or_reject(text)
    if compiled is None:
        return
    statement = sa.select(compiled.clause) if compiled.aggregate else sa.select(SAMPLE.c.id, compiled.clause)
    sql, params = compile_statement(statement, connection.alias)
    # then
    assert sql.lstrip().upper().startswith("SELECT")
    for value in values_in(text):
        assert value not in sql, f"{value!r} written into the SQL of {text!r}"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
    except DataError:
        pass  # a value out of the database's range (an overflowing product, a date past year 9999)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_arbitrary_text_never_raises_anything_but_an_expression_error(text):
    # given / when / then
    try:
        compile_expression(text, resolver=resolver(), dialect="postgresql")
    except ExpressionError as error:
        assert error.message


@settings(max_examples=100, deadline=None)
@given(name=st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(lambda n: n not in COLUMNS))
def test_unknown_fields_are_rejected_with_their_name(name):
    # given / when
    with pytest.raises(ExpressionError) as error:
        compile_expression(f"Upper(@{name}) = 'x'", resolver=resolver(), dialect="sqlite")
    # then
    assert error.value.message == f"unknown field @{name}"
    assert error.value.position.column == 7
