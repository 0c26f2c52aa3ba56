"""Conditional, null-handling, bit-flag and miscellaneous functions."""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.functions.registry import Arg, ArgumentMismatch, Family, function, leave_out
from audiences.query.types import ANY, BOOLEAN, INTEGER, NUMBER, STRING, Type, common_type, is_numeric, one_of

OTHER = {"family": Family.OTHER}
WHEN_OR_ELSE = one_of("When(...) or Else(...)", Type.WHEN, Type.ELSE)


def _shared(types, nodes, offset=0):
    result = common_type(*types)
    if result is None:
        raise ArgumentMismatch(_("these values are not of one kind"), len(types) - 1 + offset)
    return result


@function(
    "When",
    args=[Arg("condition", BOOLEAN), Arg("value", ANY)],
    returns=Type.WHEN,
    description=_("One branch of Case: the value when the condition holds."),
    example="Case(When(@age < 18, 'minor'), Else('adult'))",
    **OTHER,
)
def when(ctx, condition, value):
    return (condition, value)


@function(
    "Else",
    args=[Arg("value", ANY)],
    returns=Type.ELSE,
    description=_("The last branch of Case: the value when no condition holds."),
    example="Case(When(@age < 18, 'minor'), Else('adult'))",
    **OTHER,
)
def else_(ctx, value):
    return ("else", value)


def _case_type(typing):
    kinds = typing.arg_types
    if Type.WHEN not in kinds:
        raise ArgumentMismatch(_("Case needs at least one When(...)"))
    if Type.ELSE in kinds[:-1] or kinds.count(Type.ELSE) > 1:
        raise ArgumentMismatch(_("Else(...) can only be the last argument of Case"), kinds.index(Type.ELSE))
    values = [typing.type_of(node.args[-1]) for node in typing.arg_nodes]
    return _shared(values, typing.arg_nodes)


@function(
    "Case",
    args=[Arg("branches", WHEN_OR_ELSE, variadic=True)],
    returns=_case_type,
    returns_doc="the common type of the values",
    description=_("The value of the first When whose condition holds, else the Else value (or null)."),
    example="Case(When(@amount > 100, 'gold'), When(@amount > 10, 'silver'), Else('bronze'))",
    **OTHER,
)
def case(ctx, *branches):
    whens = [branch for branch in branches if branch[0] is not None and not isinstance(branch[0], str)]
    otherwise = next((branch[1] for branch in branches if isinstance(branch[0], str)), None)
    return sa.case(*whens, else_=otherwise)


@function(
    "Iif",
    args=[Arg("condition", BOOLEAN), Arg("then", ANY), Arg("else", ANY)],
    returns=lambda t: _shared(t.arg_types[1:], t.arg_nodes, 1),
    returns_doc="the common type of the values",
    description=_("The second argument when the condition holds, else the third."),
    example="Iif(@optIn, 'yes', 'no')",
    **OTHER,
)
def iif(ctx, condition, then, otherwise):
    return sa.case((condition, then), else_=otherwise)


def _zero(value, value_type):
    if is_numeric(value_type):
        return sa.or_(value.is_(None), value == 0)
    if value_type == Type.STRING:
        return sa.or_(value.is_(None), value == "")
    return value.is_(None)


@function(
    "Coalesce",
    args=[Arg("value", ANY), Arg("fallback", ANY)],
    returns=lambda t: _shared(t.arg_types, t.arg_nodes),
    returns_doc="the common type of the values",
    description=_("The fallback when the value is null, 0 or an empty string, else the value."),
    example="Coalesce(@mobilePhone, @phone)",
    **OTHER,
)
def coalesce(ctx, value, fallback):
    return sa.case((_zero(value, ctx.arg_types[0]), fallback), else_=value)


@function(
    "Decode",
    args=[Arg("value", ANY), Arg("compare", ANY), Arg("then", ANY), Arg("else", ANY)],
    returns=lambda t: _shared(t.arg_types[2:], t.arg_nodes, 2),
    returns_doc="the common type of the values",
    description=_("The third argument when the first two are equal, else the fourth."),
    example="Decode(@gender, 1, 'male', 'other')",
    **OTHER,
)
def decode(ctx, value, compare, then, otherwise):
    return sa.case((value == compare, then), else_=otherwise)


@function(
    "IsEmptyString",
    args=[Arg("text", STRING), Arg("then", ANY), Arg("else", ANY)],
    returns=lambda t: _shared(t.arg_types[1:], t.arg_nodes, 1),
    returns_doc="the common type of the values",
    description=_("The second argument when the string is null or empty, else the third."),
    example="IsEmptyString(@mobilePhone, 'none', @mobilePhone)",
    **OTHER,
)
def is_empty_string(ctx, text, then, otherwise):
    return sa.case((sa.or_(text.is_(None), text == ""), then), else_=otherwise)


@function(
    "NoNull",
    args=[Arg("text", STRING)],
    returns=Type.STRING,
    description=_("The string, or an empty string when it is null."),
    example="NoNull(@middleName)",
    **OTHER,
)
def no_null(ctx, text):
    return sa.func.coalesce(text, "")


@function(
    "GetEmailDomain",
    args=[Arg("email", STRING)],
    returns=Type.STRING,
    description=_("The part of an email address after the last @ (null without @)."),
    example="GetEmailDomain(@email) = 'example.com'",
    **OTHER,
)
def get_email_domain(ctx, email):
    if ctx.postgresql:
        return sa.case((sa.func.strpos(email, "@") > 0, sa.func.split_part(email, "@", -1)))
    return sa.func.oc_email_domain(email)


@function(
    "ToBoolean",
    args=[Arg("number", NUMBER)],
    returns=Type.BOOLEAN,
    description=_("False for 0, true for any other number."),
    example="ToBoolean(@optInFlag)",
    **OTHER,
)
def to_boolean(ctx, number):
    return sa.case((number.is_(None), sa.null()), else_=number != 0)


@function(
    "IsBitSet",
    args=[Arg("value", INTEGER), Arg("flag", INTEGER)],
    returns=Type.BOOLEAN,
    description=_("True when every bit of the flag is set in the value."),
    example="IsBitSet(@preferences, 4)",
    **OTHER,
)
def is_bit_set(ctx, value, flag):
    return value.op("&")(flag) == flag


@function(
    "SetBit",
    args=[Arg("value", INTEGER), Arg("flag", INTEGER)],
    returns=Type.INTEGER,
    description=_("The value with the flag's bits set."),
    example="SetBit(@preferences, 4)",
    **OTHER,
)
def set_bit(ctx, value, flag):
    return value.op("|", return_type=sa.BigInteger())(flag)


@function(
    "ClearBit",
    args=[Arg("value", INTEGER), Arg("flag", INTEGER)],
    returns=Type.INTEGER,
    description=_("The value with the flag's bits cleared."),
    example="ClearBit(@preferences, 4)",
    **OTHER,
)
def clear_bit(ctx, value, flag):
    return value - value.op("&", return_type=sa.BigInteger())(flag)


@function(
    "NewUUID",
    args=[],
    returns=Type.STRING,
    description=_("A new random UUID as text, different for each row."),
    example="NewUUID()",
    **OTHER,
)
def new_uuid(ctx):
    if ctx.postgresql:
        return sa.cast(sa.func.gen_random_uuid(), sa.String())
    return sa.func.oc_uuid4()


@function(
    "RowId",
    args=[],
    returns=Type.INTEGER,
    window=True,
    description=_("Line number of the row in the result, from 1, in no particular order."),
    example="RowId()",
    **OTHER,
)
def row_id(ctx):
    return sa.func.row_number().over()


leave_out(
    "AESEncrypt",
    Family.OTHER,
    _("encryption needs key management the platform does not have; use Sha256Digest to pseudonymise"),
)
leave_out(
    "GetMirrorURL",
    Family.OTHER,
    _("mirror pages belong to message rendering at send time, not to queries on the database"),
)
