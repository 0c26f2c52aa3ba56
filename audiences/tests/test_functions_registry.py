"""The registry's own rules: every function tested, docs generated from it, no duplicates."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from django.core.management import call_command
from django.core.management.base import CommandError

from audiences.management.commands import functions_doc
from audiences.query import ExpressionError, ResolvedColumn, check_expression, parse
from audiences.query.expressions import ast
from audiences.query.functions import LEFT_OUT, REGISTRY
from audiences.query.functions.docs import render_markdown
from audiences.query.functions.registry import Arg, Family, FunctionSpec, leave_out, register
from audiences.query.types import STRING, Type
from audiences.tests import test_functions_aggregate_window, test_functions_date, test_functions_values
from audiences.tests.expression_fixtures import resolver

ALL_CASES = test_functions_date.CASES + test_functions_values.CASES + test_functions_aggregate_window.CASES


REFERENCE_FUNCTIONS = """
Avg Count CountAll Countdistinct Max Min StdDev StringAgg Sum AddDays AddHours AddMinutes AddMonths
AddSeconds AddYears ConvertNTZ DateCmp DateOnly Day DayOfYear DaysAgo DaysAgoInt DaysDiff DaysOld
GetDate Hour HoursDiff Minute MinutesDiff Month MonthsAgo MonthsDiff MonthsOld Oldest Second
SecondsDiff SubDays SubHours SubMinutes SubMonths SubSeconds SubYears ToDate ToDateTime ToTimestamp
ToTimeZone TruncDate TruncDateTZ TruncQuarter TruncTime TruncWeek TruncYear WeekDay Year
YearAndMonth YearsAgo YearsDiff YearsOld Distance Abs Ceil Floor Greatest Least Mod Percent Random
Round Sign ToDouble ToInt64 ToInteger Trunc AESEncrypt Case ClearBit Coalesce Decode Else
GetEmailDomain GetMirrorURL Iif IsBitSet IsEmptyString NewUUID NoNull RowId SetBit ToBoolean When
AllNonNull2 AllNonNull3 Ascii Char Charindex dataLength GetLine IfEquals IsMemoNull JuxtWords
JuxtWords3 Left Length Line Lower LPad Ltrim Md5Digest MemoContains NodeValue Replace Right RPad
Rtrim Sha256Digest Sha512Digest Smart Substring ToString Upper VirtualLink VirtualLinkStr _Over_
Desc OrderBy PartitionBy RowNum
"""


def called_names(text: str) -> set[str]:
    return {node.name.lower() for node in ast.walk(parse(text)) if isinstance(node, ast.Call)}


def test_every_registered_function_has_a_database_case():
    # given
    covered = set().union(*(called_names(case.expression) for case in ALL_CASES))
    # when
    missing = sorted(spec.name for key, spec in REGISTRY.items() if key not in covered)
    # then
    assert not missing, f"functions without a test case against the database: {missing}"


def test_every_documented_example_type_checks():
    # given: examples use field names of an imaginary customer table, so give every name a type
    class AnyField:
        def field(self, path, name):
            return ResolvedColumn(sa.column(name), Type.ANY)

    # when / then
    for spec in REGISTRY.values():
        check_expression(spec.example, resolver=AnyField())


def test_the_reference_list_is_registered_or_left_out():
    # given: the reference product's function list, by family
    reference = REFERENCE_FUNCTIONS.split()
    # when
    known = set(REGISTRY) | {name.lower() for name in LEFT_OUT}
    # then
    assert sorted(name for name in reference if name.lower() not in known) == []


def test_registry_rejects_a_duplicate_name_in_any_case():
    # given
    spec = REGISTRY["upper"]
    copy = FunctionSpec(
        "UPPER", Family.STRING, (Arg("text", STRING),), Type.STRING, "x", "UPPER('a')", spec.build
    )
    # when / then
    with pytest.raises(ValueError, match="already registered"):
        register(copy)
    with pytest.raises(ValueError, match="already registered"):
        leave_out("Upper", Family.STRING, "no")
    assert REGISTRY["upper"] is spec


def test_left_out_function_gives_its_reason():
    # given / when
    with pytest.raises(ExpressionError) as error:
        check_expression("NodeValue(@name, '/a')", resolver=resolver())
    # then
    assert "XML" in error.value.message


def test_committed_docs_equal_the_generated_reference():
    # given
    # when
    committed = functions_doc.DOC_PATH.read_text()
    # then
    assert committed == render_markdown(), "docs/functions.md is stale: run manage.py functions_doc"
    for spec in REGISTRY.values():
        assert f"`{spec.signature()}`" in committed
    for name in LEFT_OUT:
        assert f"`{name}`" in committed


def test_functions_doc_command_check_passes_on_the_committed_file():
    # given
    out = io.StringIO()
    # when
    call_command("functions_doc", "--check", stdout=out)
    # then
    assert "up to date" in out.getvalue()


def test_functions_doc_command_check_fails_when_stale(tmp_path, monkeypatch):
    # given
    stale = tmp_path / "functions.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(functions_doc, "DOC_PATH", stale)
    # when / then
    with pytest.raises(CommandError):
        call_command("functions_doc", "--check")
    call_command("functions_doc", stdout=io.StringIO())
    assert stale.read_text() == render_markdown()
