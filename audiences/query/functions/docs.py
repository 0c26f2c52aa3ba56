"""The function reference (docs/functions.md), rendered from the registry so it cannot drift."""

from __future__ import annotations

from django.utils import translation

from audiences.query.functions import LEFT_OUT, REGISTRY
from audiences.query.functions.registry import FAMILY_LABELS, Family, Same

HEADER = """# Expression functions

Generated from the function registry (`audiences/query/functions/`) by `manage.py functions_doc`;
do not edit by hand. Function names are case-insensitive. Types: string, integer, decimal, float,
boolean, date, date+time; integers widen to decimals and floats, dates to date+times. Every function
gives the same result on SQLite and PostgreSQL (checked by the test suite against Python). Date+times
are computed in UTC.
"""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _returns(spec) -> str:
    if isinstance(spec.returns, Same):
        return f"same as {spec.args[spec.returns.index].name}"
    if spec.returns_doc:
        return spec.returns_doc
    return spec.returns.label if not callable(spec.returns) else "depends on the arguments"


def render_markdown() -> str:
    with translation.override("en"):
        lines = [HEADER]
        for family in Family:
            specs = sorted((s for s in REGISTRY.values() if s.family == family), key=lambda s: s.key)
            if not specs:
                continue
            lines += [
                f"## {FAMILY_LABELS[family]}",
                "",
                "| function | returns | description | example |",
                "|---|---|---|---|",
            ]
            for spec in specs:
                returns = _returns(spec)
                lines.append(
                    f"| `{_cell(spec.signature())}` | {_cell(returns)} | {_cell(spec.description)} "
                    f"| `{_cell(spec.example)}` |"
                )
            lines.append("")
        lines += [
            "## Left out",
            "",
            "Functions of the reference product that are not provided, and why.",
            "",
            "| function | family | reason |",
            "|---|---|---|",
        ]
        for name, (family, reason) in sorted(LEFT_OUT.items()):
            lines.append(f"| `{name}` | {FAMILY_LABELS[family]} | {_cell(reason)} |")
        lines.append("")
        return "\n".join(lines)
