"""Geographic functions: great-circle distance with the haversine formula, built from math functions.

SQLite has sin/cos/asin/sqrt/radians when compiled with its math functions (the venv's build is);
otherwise ``audiences.query.sqlite_functions`` registers Python equivalents on each connection.
"""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.functions.registry import Arg, Family, function
from audiences.query.types import NUMBER, Type

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


@function(
    "Distance",
    family=Family.GEO,
    args=[
        Arg("longitude A", NUMBER),
        Arg("latitude A", NUMBER),
        Arg("longitude B", NUMBER),
        Arg("latitude B", NUMBER),
    ],
    returns=Type.FLOAT,
    description=_("Distance in kilometres between two points given in degrees (haversine formula)."),
    example="Distance(@longitude, @latitude, 2.3522, 48.8566) < 50",
)
def distance(ctx, lon_a, lat_a, lon_b, lat_b):
    f = sa.func
    lat1, lat2 = f.radians(sa.cast(lat_a, sa.Float())), f.radians(sa.cast(lat_b, sa.Float()))
    half_dlat = (lat2 - lat1) * 0.5
    half_dlon = (f.radians(sa.cast(lon_b, sa.Float())) - f.radians(sa.cast(lon_a, sa.Float()))) * 0.5
    h = f.power(f.sin(half_dlat), 2) + f.cos(lat1) * f.cos(lat2) * f.power(f.sin(half_dlon), 2)
    # Rounding can push h a hair above 1, where asin() fails on PostgreSQL: clamp it (null stays null).
    clamped = sa.case((h > 1, sa.literal(1.0)), else_=h)
    return sa.literal(2 * EARTH_RADIUS_KM) * f.asin(f.sqrt(clamped))
