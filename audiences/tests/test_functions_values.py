"""Every numeric, geographic, string and "other" function on real rows, against Python."""

from __future__ import annotations

import decimal
import hashlib
import math
import re
import uuid

import pytest

from audiences.tests.expression_fixtures import Case, create_sample_table, run_case
from audiences.tests.test_functions_date import oracle

D = decimal.Decimal


def half_away(value, places=0):
    quantum = D(1).scaleb(-places)
    return D(str(value)).quantize(quantum, rounding=decimal.ROUND_HALF_UP)


def cut(value, places=0):
    quantum = D(1).scaleb(-places)
    return D(str(value)).quantize(quantum, rounding=decimal.ROUND_DOWN)


def haversine(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


def initcap(text):
    return re.sub(r"[^\W_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), text.lower())


def juxt(*parts):
    return " ".join(p for p in (part or "" for part in parts) if p)


def padded(text, size, fill, left):
    if len(text) >= size:
        return text[:size]
    filler = (fill * size)[: size - len(text)]
    return filler + text if left else text + filler


def substring(text, start, length):
    first, end = max(start, 1), start + length
    return text[first - 1 : end - 1] if end > first else ""


Q, P, R, N, E = ("qty",), ("price",), ("ratio",), ("name",), ("email",)

NUMERIC = [
    Case("Abs(@qty)", oracle(Q, abs)),
    Case("Abs(@price)", oracle(P, abs)),
    Case("Ceil(@ratio)", oracle(R, math.ceil)),
    Case("Floor(@ratio)", oracle(R, math.floor)),
    Case("Floor(@price)", oracle(P, math.floor)),
    Case("Greatest(@qty, @ratio)", oracle(("qty", "ratio"), lambda q, r: float(max(q, r)))),
    Case("Least(@qty, 5)", lambda row: min(v for v in (row["qty"], 5) if v is not None)),
    Case("Mod(@qty, 4)", oracle(Q, lambda q: int(math.fmod(q, 4)))),
    Case("Mod(@ratio, 1)", oracle(R, lambda r: math.fmod(r, 1))),
    Case("Mod(@qty, 0)", lambda row: None),
    Case("Percent(@qty, 8)", oracle(Q, lambda q: q * 100 / 8)),
    Case("Random()", lambda value: 0 <= value < 1, kind="check"),
    Case("Round(@price, 1)", oracle(P, lambda p: half_away(p, 1))),
    Case("Round(@ratio)", oracle(R, lambda r: float(half_away(r)))),
    Case("Sign(@qty)", oracle(Q, lambda q: (q > 0) - (q < 0))),
    Case("ToDouble(@qty) / 8", oracle(Q, lambda q: q / 8)),
    Case("ToInteger(@ratio)", oracle(R, math.trunc)),
    Case("ToInt64(@price)", oracle(P, math.trunc)),
    Case("Trunc(@price, 1)", oracle(P, lambda p: cut(p, 1))),
    Case("Trunc(@ratio)", oracle(R, lambda r: float(cut(r)))),
    Case(
        "Distance(@lon, @lat, 2.3522, 48.8566)",
        oracle(("lon", "lat"), lambda x, y: haversine(x, y, 2.3522, 48.8566)),
        tolerance=1e-7,
    ),
]

STRING = [
    Case("AllNonNull2(@name, @email)", lambda row: bool(row["name"]) and bool(row["email"])),
    Case("AllNonNull3(@name, @email, @note)", lambda row: bool(row["name"] and row["email"] and row["note"])),
    Case("Ascii(@name)", oracle(N, lambda n: ord(n[0]) if n else None)),
    Case("Char(@flags + 60)", oracle(("flags",), lambda f: chr(f + 60))),
    Case("Charindex(@email, '@')", oracle(E, lambda e: e.find("@") + 1)),
    Case("dataLength(@name + 'é')", oracle(N, lambda n: len((n + "é").encode()))),
    Case("IfEquals(@grp, 'a', 'A', @name)", lambda row: "A" if row["grp"] == "a" else row["name"]),
    Case("IsMemoNull(@note)", lambda row: row["note"] is None),
    Case("MemoContains(@note, 'line')", oracle(("note",), lambda n: "line" in n)),
    Case("JuxtWords(@name, @grp)", lambda row: juxt(row["name"], row["grp"])),
    Case("JuxtWords3(@grp, @name, @email)", lambda row: juxt(row["grp"], row["name"], row["email"])),
    Case("Left(@name, 3)", oracle(N, lambda n: n[:3])),
    Case("Right(@email, 4)", oracle(E, lambda e: e[-4:])),
    Case("Right(@name, 0)", oracle(N, lambda n: "")),
    Case("Length(@name)", oracle(N, len)),
    Case("Line(@note, 2)", oracle(("note",), lambda n: n.split("\n")[1] if "\n" in n else "")),
    Case("Line(@note, 0)", lambda row: None),
    Case("Lower(@email)", oracle(E, str.lower)),
    Case("Upper(@name)", oracle(N, str.upper)),
    Case("LPad(@name, 5, 'ab')", oracle(N, lambda n: padded(n, 5, "ab", left=True))),
    Case("RPad(@grp, 4, '.')", oracle(("grp",), lambda g: padded(g, 4, ".", left=False))),
    Case("Ltrim(@name)", oracle(N, lambda n: n.lstrip(" "))),
    Case("Rtrim(@name)", oracle(N, lambda n: n.rstrip(" "))),
    Case(
        "Md5Digest(@email)", oracle(E, lambda e: hashlib.md5(e.encode(), usedforsecurity=False).hexdigest())
    ),
    Case("Sha256Digest(@email)", oracle(E, lambda e: hashlib.sha256(e.encode()).hexdigest())),
    Case("Sha512Digest(@email)", oracle(E, lambda e: hashlib.sha512(e.encode()).hexdigest())),
    Case("Replace(@email, '@', ' at ')", oracle(E, lambda e: e.replace("@", " at "))),
    Case("Smart(@name)", oracle(N, initcap)),
    Case("Substring(@name, 2, 3)", oracle(N, lambda n: substring(n, 2, 3))),
    Case("Substring(@name, 0, 3)", oracle(N, lambda n: substring(n, 0, 3))),
    Case("ToString(@qty)", oracle(Q, str)),
    Case("ToString(@price, 1)", oracle(P, lambda p: str(half_away(p, 1)))),
    Case("VirtualLink(@qty, @flags, 5)", lambda row: row["qty"] if row["flags"] == 5 else None),
    Case("VirtualLinkStr(@name, @flags, 0)", lambda row: row["name"] if row["flags"] == 0 else None),
]


def case_size(row):
    qty = row["qty"]
    if qty is not None and qty > 10:
        return "big"
    if qty is not None and qty > 0:
        return "some"
    return "none"


OTHER = [
    Case("Case(When(@qty > 10, 'big'), When(@qty > 0, 'some'), Else('none'))", case_size),
    Case("Case(When(@active, @qty))", lambda row: row["qty"] if row["active"] else None),
    Case("Iif(@active, 'yes', 'no')", lambda row: "yes" if row["active"] else "no"),
    Case("Coalesce(@qty, -1)", lambda row: row["qty"] or -1),
    Case("Coalesce(@name, 'anonymous')", lambda row: row["name"] or "anonymous"),
    Case("Decode(@grp, 'b', 1, 0)", lambda row: 1 if row["grp"] == "b" else 0),
    Case("IsEmptyString(@note, 'empty', @note)", lambda row: row["note"] or "empty"),
    Case("NoNull(@email)", lambda row: row["email"] or ""),
    Case("GetEmailDomain(@email)", oracle(E, lambda e: e.rsplit("@", 1)[1] if "@" in e else None)),
    Case("ToBoolean(@qty)", oracle(Q, lambda q: q != 0)),
    Case("IsBitSet(@flags, 4)", oracle(("flags",), lambda f: f & 4 == 4)),
    Case("SetBit(@flags, 2)", oracle(("flags",), lambda f: f | 2)),
    Case("ClearBit(@flags, 4)", oracle(("flags",), lambda f: f & ~4)),
    Case("NewUUID()", lambda value: uuid.UUID(value).version == 4, kind="check"),
    Case("RowId()", lambda values: sorted(values) == list(range(1, 7)), kind="values"),
]

CASES = NUMERIC + STRING + OTHER


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.expression for case in CASES])
def test_function_matches_python(case):
    # given
    create_sample_table()
    # when / then
    run_case(case)
