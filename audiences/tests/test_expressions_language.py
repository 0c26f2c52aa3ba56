"""The expression language itself: parsing, positions in errors, types, variables, bound values, SQL."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
import sqlalchemy as sa
from django.db import connection

from audiences.catalog.database import compile_statement
from audiences.query import ExpressionError, Type, check_expression, compile_expression, parse
from audiences.query.expressions import ast
from audiences.tests.expression_fixtures import (
    SAMPLE,
    create_sample_table,
    evaluate_groups,
    evaluate_rows,
    resolver,
)


def error_of(text, **kwargs) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        check_expression(text, resolver=resolver(), **kwargs)
    return caught.value


def test_parse_builds_typed_nodes_with_positions():
    # given / when
    node = parse("[purchases/product/@brand] = 'it''s' and\n  not $(vars/@vip)")
    # then
    assert isinstance(node, ast.Binary) and node.op == "and"
    field = node.left.left
    assert (field.path, field.name) == (("purchases", "product"), "brand")
    assert node.left.right.value == "it's"
    variable = node.right.operand
    assert variable.name == "vip" and (variable.position.line, variable.position.column) == (2, 7)


@pytest.mark.parametrize(
    ("text", "value", "value_type"),
    [
        ("42", 42, Type.INTEGER),
        ("1.50", decimal.Decimal("1.50"), Type.DECIMAL),
        ("2e3", 2000.0, Type.FLOAT),
        ("'a\\'b\\n'", "a'b\n", Type.STRING),
        ("TRUE", True, Type.BOOLEAN),
        ("Null", None, Type.NULL),
        ("#2024-01-31#", dt.date(2024, 1, 31), Type.DATE),
        ("#2024-01-31 10:20#", dt.datetime(2024, 1, 31, 10, 20), Type.DATETIME),
    ],
)
def test_literals(text, value, value_type):
    # given / when
    node = parse(text)
    # then
    assert (node.value, node.type) == (value, value_type)


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("@qty +", 1, 7, "a number"),
        ("Upper(@name", 1, 12, "')'"),
        ("@qty >\n  ? 3", 2, 3, "a field like @name"),
        ("1 < 2 < 3", 1, 7, "'and'"),
        ("#2024-02-30#", 1, 1, None),
        ("@qty @qty", 1, 6, "'and'"),
    ],
)
def test_syntax_errors_point_at_the_position_and_say_what_was_expected(text, line, column, expected):
    # given / when
    error = error_of(text)
    # then
    assert (error.position.line, error.position.column) == (line, column)
    if expected:
        assert expected in error.expected
    assert f"line {line}, column {column}" in str(error)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("Upper(@qty)", 7, "string"),
        ("@name + 1", 9, "a string"),
        ("(@qty + 1) * 'x'", 14, "a number"),
        ("@born > 3", 7, "two values of the same kind"),
        ("@qty and true", 1, "a boolean"),
        ("not @name", 5, "a boolean"),
        ("AddDays(@born)", 1, "AddDays(date: date, days: integer)"),
        ("Sum(Count(@qty))", 5, None),
        ("When(true, 1)", 1, None),
        ("Case(Else(1), When(true, 2))", 6, None),
        ("Iif(true, 'a', 1)", 16, None),
        ("ToString(@price)", 10, None),
        ("_Over_(@qty, PartitionBy(@grp))", 8, "an aggregate such as Sum(@x)"),
        ("Lowr(@name)", 1, "Lower"),
        ("@qty < null", 6, None),
        ("@qty + Sum(@qty)", 1, "an aggregate such as Sum(@x)"),
    ],
)
def test_type_errors_point_at_the_faulty_node(text, column, fragment):
    # given / when
    error = error_of(text)
    # then
    assert error.position.column == column, str(error)
    if fragment:
        assert fragment in " ".join(error.expected), str(error)


def test_unknown_field_link_and_variable_are_rejected_clearly():
    # given / when
    field = error_of("@nope = 1")
    link = error_of("[orders/@amount] > 1")
    variable = error_of("$(vars/@missing) = 1", variables={"known": (Type.INTEGER, 1)})
    # then
    assert field.message == "unknown field @nope" and field.position.column == 1
    assert link.message == "unknown link orders"
    assert "unknown variable" in variable.message and variable.expected == ("$(vars/@known)",)


def test_numeric_widening_and_result_types():
    # given
    check = lambda text: check_expression(text, resolver=resolver())  # noqa: E731
    # when / then
    assert check("@qty + 1") == Type.INTEGER
    assert check("@qty + @price") == Type.DECIMAL
    assert check("@price * @ratio") == Type.FLOAT
    assert check("@qty / 2") == Type.FLOAT
    assert check("@name + '!'") == Type.STRING
    assert check("@born < @seen_at") == Type.BOOLEAN
    assert check("AddDays(@born, 1)") == Type.DATE
    assert check("AddHours(@born, 1)") == Type.DATETIME


@pytest.mark.django_db
def test_arithmetic_means_the_same_on_both_databases():
    # given
    create_sample_table()
    # when
    values = evaluate_rows("Case(When(@id = 1, 7 / 2 + 7 % 3 - 7.5 % 2), Else(1 / 0))")
    # then: true division, remainder with the dividend's sign, division by zero is null
    assert values[1] == pytest.approx(3.5 + 1 - 1.5)
    assert values[2] is None


@pytest.mark.django_db
def test_boolean_expression_filters_rows_with_bound_values():
    # given
    create_sample_table()
    compiled = compile_expression(
        "(@qty > $(vars/@minimum) or Lower(@grp) = 'c') and not @name = ''",
        resolver=resolver(),
        dialect=connection.vendor,
        variables={"minimum": (Type.INTEGER, 2)},
    )
    statement = sa.select(SAMPLE.c.id).where(compiled.clause).order_by(SAMPLE.c.id)
    # when
    sql, params = compile_statement(statement, connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    # then
    assert ids == [1, 5]
    assert "'c'" not in sql and " 2" not in sql and params.count(2) == 1


@pytest.mark.django_db
def test_aggregate_expression_is_flagged_and_groups():
    # given
    create_sample_table()
    compiled = compile_expression(
        "Sum(@qty) * 2 + CountAll()", resolver=resolver(), dialect=connection.vendor
    )
    # when
    groups = evaluate_groups("Sum(@qty) * 2 + CountAll()")
    # then
    assert compiled.aggregate and not compiled.window
    assert groups == {"a": (3 - 7) * 2 + 2, "b": 0 + 2, "c": (42 + 15) * 2 + 2}


def test_null_comparison_means_is_null():
    # given / when
    compiled = compile_expression("@email = null", resolver=resolver(), dialect="sqlite")
    # then
    assert (
        str(compiled.clause.compile(dialect=sa.dialects.sqlite.dialect()))
        == "oc_expression_sample.email IS NULL"
    )
