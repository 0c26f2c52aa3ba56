"""String functions. Positions count characters from 1. Case changes and trims follow each database's
built-ins (SQLite's lower()/upper() only change ASCII letters); hashing, padding and Smart go through
``oc_*`` functions on SQLite so both databases give the same text."""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.functions import sqlparts as sql
from audiences.query.functions.registry import Arg, ArgumentMismatch, Family, function, leave_out
from audiences.query.types import INTEGER, NUMBER, STRING, Type

STR = {"family": Family.STRING}
TEXTABLE = NUMBER


def _all_filled(ctx, *values):
    return sa.and_(*[sa.and_(value.is_not(None), value != "") for value in values])


function(
    "AllNonNull2",
    args=[Arg("first", STRING), Arg("second", STRING)],
    returns=Type.BOOLEAN,
    description=_("True when both strings are neither null nor empty."),
    example="AllNonNull2(@firstName, @lastName)",
    **STR,
)(_all_filled)
function(
    "AllNonNull3",
    args=[Arg("first", STRING), Arg("second", STRING), Arg("third", STRING)],
    returns=Type.BOOLEAN,
    description=_("True when the three strings are neither null nor empty."),
    example="AllNonNull3(@street, @zipCode, @city)",
    **STR,
)(_all_filled)


@function(
    "Ascii",
    args=[Arg("text", STRING)],
    returns=Type.INTEGER,
    description=_("Code of the first character (null for an empty string)."),
    example="Ascii(@lastName)",
    **STR,
)
def ascii_(ctx, text):
    text = sa.func.nullif(text, "")
    return sa.func.ascii(text) if ctx.postgresql else sa.func.unicode(text)


@function(
    "Char",
    args=[Arg("code", INTEGER)],
    returns=Type.STRING,
    description=_("The character with this code (null outside 1 to 1114111)."),
    example="Char(65)",
    **STR,
)
def char(ctx, code):
    valid = sa.and_(code >= 1, code <= 1114111, sa.or_(code < 55296, code > 57343))
    return sa.case((valid, sa.func.chr(sql.int4(code)) if ctx.postgresql else sa.func.char(code)))


@function(
    "Charindex",
    args=[Arg("text", STRING), Arg("search", STRING)],
    returns=Type.INTEGER,
    description=_("Position of the second string in the first, 0 if absent."),
    example="Charindex(@email, '@')",
    **STR,
)
def charindex(ctx, text, search):
    return sa.func.strpos(text, search) if ctx.postgresql else sa.func.instr(text, search)


@function(
    "dataLength",
    args=[Arg("text", STRING)],
    returns=Type.INTEGER,
    description=_("Size of the string in bytes (UTF-8)."),
    example="dataLength(@comment)",
    **STR,
)
def data_length(ctx, text):
    return sa.func.octet_length(text) if ctx.postgresql else sa.func.length(sa.cast(text, sa.LargeBinary()))


@function(
    "IfEquals",
    args=[Arg("first", STRING), Arg("second", STRING), Arg("then", STRING), Arg("else", STRING)],
    returns=Type.STRING,
    description=_("The third string if the first two are equal, else the fourth."),
    example="IfEquals(@country, 'FR', 'France', 'Other')",
    **STR,
)
def if_equals(ctx, first, second, then, otherwise):
    return sa.case((first == second, then), else_=otherwise)


@function(
    "IsMemoNull",
    args=[Arg("text", STRING)],
    returns=Type.BOOLEAN,
    description=_("True when the (long) text is null."),
    example="IsMemoNull(@comment)",
    **STR,
)
def is_memo_null(ctx, text):
    return text.is_(None)


@function(
    "MemoContains",
    args=[Arg("text", STRING), Arg("search", STRING)],
    returns=Type.BOOLEAN,
    description=_("True when the (long) text contains the string (case-sensitive)."),
    example="MemoContains(@comment, 'refund')",
    **STR,
)
def memo_contains(ctx, text, search):
    return charindex(ctx, text, search) > 0


def juxtapose(*parts):
    """Join the non-empty parts with one space; null parts count as empty."""
    result = sa.func.coalesce(parts[0], "")
    for part in parts[1:]:
        part = sa.func.coalesce(part, "")
        result = sa.case(
            (result == "", part), (part == "", result), else_=result.op("||")(" ").op("||")(part)
        )
    return result


function(
    "JuxtWords",
    args=[Arg("first", STRING), Arg("second", STRING)],
    returns=Type.STRING,
    description=_("The two strings joined with a space, without a space when one is empty."),
    example="JuxtWords(@firstName, @lastName)",
    **STR,
)(lambda ctx, *parts: juxtapose(*parts))
function(
    "JuxtWords3",
    args=[Arg("first", STRING), Arg("second", STRING), Arg("third", STRING)],
    returns=Type.STRING,
    description=_("The three strings joined with spaces, skipping empty ones."),
    example="JuxtWords3(@title, @firstName, @lastName)",
    **STR,
)(lambda ctx, *parts: juxtapose(*parts))


@function(
    "Left",
    args=[Arg("text", STRING), Arg("count", INTEGER)],
    returns=Type.STRING,
    description=_("The first characters of the string."),
    example="Left(@zipCode, 2)",
    **STR,
)
def left(ctx, text, count):
    return sa.case((count > 0, sa.func.substr(text, 1, sql.int4(count))), else_="")


@function(
    "Right",
    args=[Arg("text", STRING), Arg("count", INTEGER)],
    returns=Type.STRING,
    description=_("The last characters of the string."),
    example="Right(@phone, 4)",
    **STR,
)
def right(ctx, text, count):
    if ctx.postgresql:
        return sa.case((count > 0, sa.func.right(text, sql.int4(count))), else_="")
    return sa.case((count > 0, sa.func.substr(text, -count)), else_="")


@function(
    "Length",
    args=[Arg("text", STRING)],
    returns=Type.INTEGER,
    description=_("Number of characters."),
    example="Length(@lastName)",
    **STR,
)
def length(ctx, text):
    return sa.func.length(text)


@function(
    "Line",
    args=[Arg("text", STRING), Arg("number", INTEGER)],
    returns=Type.STRING,
    description=_("Line n (from 1) of a multi-line text; empty past the last line."),
    example="Line(@address, 2)",
    **STR,
)
def line(ctx, text, number):
    if ctx.postgresql:
        return sa.case((number >= 1, sa.func.split_part(text, "\n", sql.int4(number))))
    return sa.func.oc_line(text, number)


@function(
    "Lower",
    args=[Arg("text", STRING)],
    returns=Type.STRING,
    description=_("The string in lower case."),
    example="Lower(@email)",
    **STR,
)
def lower(ctx, text):
    return sa.func.lower(text)


@function(
    "Upper",
    args=[Arg("text", STRING)],
    returns=Type.STRING,
    description=_("The string in upper case."),
    example="Upper(@lastName)",
    **STR,
)
def upper(ctx, text):
    return sa.func.upper(text)


def _pad(side):
    def build(ctx, text, size, fill):
        if ctx.postgresql:
            return sa.case((size > 0, getattr(sa.func, f"{side}pad")(text, sql.int4(size), fill)), else_="")
        return getattr(sa.func, f"oc_{side}pad")(text, size, fill)

    return build


function(
    "LPad",
    args=[Arg("text", STRING), Arg("length", INTEGER), Arg("fill", STRING)],
    returns=Type.STRING,
    description=_("The string filled on the left up to a length (cut if longer)."),
    example="LPad(@customerCode, 8, '0')",
    **STR,
)(_pad("l"))
function(
    "RPad",
    args=[Arg("text", STRING), Arg("length", INTEGER), Arg("fill", STRING)],
    returns=Type.STRING,
    description=_("The string filled on the right up to a length (cut if longer)."),
    example="RPad(@label, 10, '.')",
    **STR,
)(_pad("r"))


@function(
    "Ltrim",
    args=[Arg("text", STRING)],
    returns=Type.STRING,
    description=_("The string without leading spaces."),
    example="Ltrim(@city)",
    **STR,
)
def ltrim(ctx, text):
    return sa.func.ltrim(text)


@function(
    "Rtrim",
    args=[Arg("text", STRING)],
    returns=Type.STRING,
    description=_("The string without trailing spaces."),
    example="Rtrim(@city)",
    **STR,
)
def rtrim(ctx, text):
    return sa.func.rtrim(text)


def _digest(algorithm):
    def build(ctx, text):
        if not ctx.postgresql:
            return getattr(sa.func, f"oc_{algorithm}")(text)
        if algorithm == "md5":
            return sa.func.md5(text)
        return sa.func.encode(getattr(sa.func, algorithm)(sa.func.convert_to(text, "UTF8")), "hex")

    return build


for _name, _algorithm in (("Md5Digest", "md5"), ("Sha256Digest", "sha256"), ("Sha512Digest", "sha512")):
    function(
        _name,
        args=[Arg("text", STRING)],
        returns=Type.STRING,
        description=_("Hexadecimal digest of the string's UTF-8 bytes."),
        example=f"{_name}(Lower(@email))",
        **STR,
    )(_digest(_algorithm))


@function(
    "Replace",
    args=[Arg("text", STRING), Arg("search", STRING), Arg("replacement", STRING)],
    returns=Type.STRING,
    description=_("The string with every occurrence of the search replaced."),
    example="Replace(@phone, ' ', '')",
    **STR,
)
def replace(ctx, text, search, replacement):
    # An empty search would loop forever in some engines and means nothing: leave the text unchanged.
    return sa.case((search == "", text), else_=sa.func.replace(text, search, replacement))


@function(
    "Smart",
    args=[Arg("text", STRING)],
    returns=Type.STRING,
    description=_("Each word with a capital first letter and the rest in lower case."),
    example="Smart(@firstName)",
    **STR,
)
def smart(ctx, text):
    return sa.func.initcap(text) if ctx.postgresql else sa.func.oc_initcap(text)


@function(
    "Substring",
    args=[Arg("text", STRING), Arg("start", INTEGER), Arg("length", INTEGER)],
    returns=Type.STRING,
    description=_("Part of the string from a position (from 1) for a length."),
    example="Substring(@zipCode, 1, 2)",
    **STR,
)
def substring(ctx, text, start, count):
    # SQL-standard meaning for starts below 1 (the characters before position 1 count in the length).
    # Bounded before adding, so a huge start or length cannot overflow 64 bits either.
    start, count = sql.clamp_int4(start), sql.clamp_int4(count)
    end = start + count
    first = sa.case((start >= 1, start), else_=1)
    size = end - first
    return sa.case((size > 0, sa.func.substr(text, sql.int4(first), sql.int4(size))), else_="")


def _to_string_type(typing):
    if typing.arg_types[0] in (Type.DECIMAL, Type.FLOAT) and len(typing.arg_types) < 2:
        raise ArgumentMismatch(_("ToString of a decimal or float number needs the number of decimals"), 0)
    return Type.STRING


@function(
    "ToString",
    args=[Arg("number", TEXTABLE), Arg("decimals", INTEGER, optional=True)],
    returns=_to_string_type,
    returns_doc="string",
    description=_("A number as text, with a number of decimals (required for non-integers)."),
    example="ToString(@amount, 2)",
    **STR,
)
def to_string(ctx, value, decimals=None):
    if decimals is None:
        return sa.cast(value, sa.String())
    if ctx.postgresql:
        return sa.cast(sa.func.round(sa.cast(value, sa.Numeric()), sql.int4(decimals)), sa.String())
    return sa.case((value.is_not(None), sa.func.printf("%.*f", decimals, value)))


def _virtual_link(ctx, key, first, second):
    return sa.case((first == second, key))


function(
    "VirtualLink",
    args=[Arg("key", INTEGER), Arg("first", INTEGER), Arg("second", INTEGER)],
    returns=Type.INTEGER,
    description=_("The key when the two other numbers are equal, else null."),
    example="VirtualLink(@storeId, @channel, 1)",
    **STR,
)(_virtual_link)
function(
    "VirtualLinkStr",
    args=[Arg("key", STRING), Arg("first", INTEGER), Arg("second", INTEGER)],
    returns=Type.STRING,
    description=_("The key when the two numbers are equal, else null."),
    example="VirtualLinkStr(@storeCode, @channel, 1)",
    **STR,
)(_virtual_link)

leave_out("GetLine", Family.STRING, _("documented without the line number; Line(text, n) does this"))
leave_out(
    "NodeValue", Family.STRING, _("fields are typed columns, not XML documents; there is no XPath to read")
)
