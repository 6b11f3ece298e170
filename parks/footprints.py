"""Schematic footprints: circles of a stated area, drawn to show size where no boundary exists."""

from __future__ import annotations

import math

from shapely.geometry import Point

from geo.crs import CGCS2000, gk_epsg, transform_geoms, transformer
from parks.sources import PARK_SLOTS, plan_target

_BUILT_2013 = f"{plan_target('parks_built_area')['value_2013']:g} km² ÷ {PARK_SLOTS}"
#: rule codes stored with each schematic geometry, and what they mean
RULES = {
    "circle_area13": (f"圆形示意范围，面积取2013年推算建成面积（{_BUILT_2013}）",
                      f"circle of the 2013 derived built-up area ({_BUILT_2013})"),
    "circle_built": ("圆形示意范围，面积取有出处的建成面积",
                     "circle of the sourced built-up area"),
    "circle_nominal": ("圆形示意范围，面积未知，按名义 5 km² 绘制",
                       "circle of a nominal 5 km²; the real size is not known"),
    "point": ("点位，非范围", "a point, not an extent"),
    "user": ("用户导入的边界", "boundary imported by staff"),
    "none": ("未定位，不绘制", "unlocated, not drawn"),
}

NOMINAL_KM2 = 5.0


def circle_footprint(lon: float, lat: float, area_km2: float, *, segments: int = 64):
    """A polygon of ``area_km2`` (planar, in the local GK zone) centred on lon/lat, in CGCS2000."""
    zone = gk_epsg(lon)
    x, y = transformer(CGCS2000, zone).transform(lon, lat)
    # A regular n-gon of the wanted area: A = n/2 · r² · sin(2π/n)
    r = math.sqrt(2 * area_km2 * 1e6 / (segments * math.sin(2 * math.pi / segments)))
    poly = Point(x, y).buffer(r, quad_segs=segments // 4)
    return transform_geoms(poly, zone, CGCS2000)
