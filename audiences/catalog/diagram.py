"""A read-only diagram of schemas and links: boxes on a grid and straight lines, computed server-side.

The admin template draws it as inline SVG, so it needs no JavaScript and no CDN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audiences.catalog.models import Link, Schema

BOX_WIDTH = 220
ROW_HEIGHT = 18
HEADER_HEIGHT = 26
GAP_X = 90
GAP_Y = 60
COLUMNS = 4
MAX_FIELDS_SHOWN = 14


@dataclass
class Box:
    schema: Schema
    x: int
    y: int
    height: int
    rows: list[tuple[int, str, str, bool]] = field(default_factory=list)  # (y, name, type, key)

    @property
    def center(self) -> tuple[int, int]:
        return self.x + BOX_WIDTH // 2, self.y + self.height // 2


@dataclass
class Line:
    link: Link
    x1: int
    y1: int
    x2: int
    y2: int
    label: str

    @property
    def middle(self) -> tuple[int, int]:
        return (self.x1 + self.x2) // 2, (self.y1 + self.y2) // 2


@dataclass
class Diagram:
    boxes: list[Box]
    lines: list[Line]
    width: int
    height: int


def _edge_point(box: Box, toward: tuple[int, int]) -> tuple[int, int]:
    """Where the line from the box's centre toward a point leaves the box (left, right, top or bottom)."""
    cx, cy = box.center
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    half_w, half_h = BOX_WIDTH / 2, box.height / 2
    scale = min(half_w / abs(dx) if dx else float("inf"), half_h / abs(dy) if dy else float("inf"))
    return int(cx + dx * scale), int(cy + dy * scale)


def diagram_build(schemas: list[Schema], links: list[Link]) -> Diagram:
    """Lay schemas out row by row; each row is as tall as its tallest box."""
    boxes: dict[int, Box] = {}
    y = 20
    for start in range(0, len(schemas), COLUMNS):
        row = schemas[start : start + COLUMNS]
        tallest = 0
        for column, schema in enumerate(row):
            fields = list(schema.fields.all())
            shown = fields[:MAX_FIELDS_SHOWN]
            height = HEADER_HEIGHT + ROW_HEIGHT * (len(shown) + (1 if len(fields) > len(shown) else 0)) + 8
            box = Box(schema=schema, x=20 + column * (BOX_WIDTH + GAP_X), y=y, height=height)
            for index, f in enumerate(shown):
                box.rows.append(
                    (y + HEADER_HEIGHT + ROW_HEIGHT * (index + 1) - 4, f.name, f.type, f.primary_key)
                )
            if len(fields) > len(shown):
                box.rows.append((y + HEADER_HEIGHT + ROW_HEIGHT * (len(shown) + 1) - 4, "…", "", False))
            boxes[schema.pk] = box
            tallest = max(tallest, height)
        y += tallest + GAP_Y
    lines = []
    for link in links:
        source, target = boxes.get(link.source_id), boxes.get(link.target_id)
        if source is None or target is None:
            continue
        x1, y1 = _edge_point(source, target.center)
        x2, y2 = _edge_point(target, source.center)
        lines.append(Line(link, x1, y1, x2, y2, f"{link.name} / {link.reverse_name}"))
    columns = min(len(schemas), COLUMNS) or 1
    return Diagram(list(boxes.values()), lines, 40 + columns * (BOX_WIDTH + GAP_X), max(y, 100))
