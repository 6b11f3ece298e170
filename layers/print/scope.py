"""Where a sheet looks: the province, a city, a park or a cluster, with its projection.

The province is drawn in the Albers equal-area projection of :mod:`geo.area` (true scale along
32°N and 36°N, within 1 % across Henan); a city, park or cluster in the CGCS2000 3° Gauss–Krüger
zone of its centre (conformal, true scale on the central meridian), as Chinese surveys do.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from pyproj import CRS

from core.errors import UserError
from geo.area import HENAN_EQUAL_AREA
from geo.crs import CGCS2000, crs_label, get_crs, gk_central_meridian, gk_epsg, transform_geoms
from layers.labels import city as city_name
from layers.labels import pick, tr
from layers.print.sheet import SheetOptions
from parks.catalog import Catalog
from parks.cities import CITY_EN

#: boundary simplification for print, metres (0 = full resolution)
PROVINCE_TOLERANCE_M = 100.0
#: a park sheet shows at least this much ground across, metres (the footprint ~1/5 of it)
PARK_CONTEXT_M = 12_000.0


@dataclass(frozen=True)
class Scope:
    kind: str
    key: str
    name: str  # in the sheet's language
    extent: object  # shapely geometry (CGCS2000 lon/lat) the map frame must show
    focus: object | None  # geometry to emphasise (city outline, park footprint), or None
    crs: CRS
    tolerance_m: float
    crs_note: str
    feature: dict | None = None  # the park or cluster row, for titles and figures


def _unknown(kind_zh: str, kind_en: str, key: str, known: list[str]) -> UserError:
    return UserError(f"找不到{kind_zh}“{key}”。可选：{'、'.join(known)}。",
                         f"Unknown {kind_en} '{key}'. Known: {', '.join(known)}.", code="bad_scope")


def _gk(lon: float, lang: str) -> tuple[CRS, str]:
    code = gk_epsg(lon)
    cm = gk_central_meridian(lon)
    note = tr(lang, f"投影：{crs_label(code)}（CGCS2000 3° 高斯–克吕格，中央经线 {cm}°E），"
                    "比例尺在中央经线上为真。",
              f"Projection: {crs_label(code)} (CGCS2000 3° Gauss–Krüger, central meridian {cm}°E); "
              "the scale bar is true on the central meridian.")
    return get_crs(code), note


def _albers(lang: str) -> tuple[CRS, str]:
    note = tr(lang, "投影：Albers 等积圆锥投影（CGCS2000/GRS80 椭球，标准纬线 32°N、36°N，"
                    "中央经线 113.5°E），全省比例误差小于 1%。",
              "Projection: Albers equal-area conic (CGCS2000/GRS80 ellipsoid, standard parallels "
              "32°N and 36°N, central meridian 113.5°E); scale error under 1 % across Henan.")
    return HENAN_EQUAL_AREA, note


def _city_row(cities, key: str):
    wanted = key if key in CITY_EN else next(
        (zh for zh, en in CITY_EN.items() if key in (zh.removesuffix("市"), en, en.lower())), key)
    match = cities[cities["name_zh"] == wanted]
    if match.empty:
        raise _unknown("城市", "city", key, list(cities["name_zh"]))
    return match.iloc[0]


def _buffer_lonlat(geom, metres: float):
    """A square of at least ``metres`` across around ``geom``, built in its GK zone."""
    lon = shapely.centroid(geom).x
    zone = gk_epsg(lon)
    local = transform_geoms(geom, CGCS2000, zone)
    x, y = shapely.centroid(local).x, shapely.centroid(local).y
    x0, y0, x1, y1 = local.bounds
    half = max(metres / 2, (x1 - x0) * 0.75, (y1 - y0) * 0.75)
    return transform_geoms(shapely.box(x - half, y - half, x + half, y + half), zone, CGCS2000)


def resolve_scope(catalog: Catalog, options: SheetOptions) -> Scope:
    """The scope named by ``options.scope``; raises :class:`UserError` for an unknown city,
    park or cluster, or one without a location (it cannot have a sheet)."""
    kind, key, lang = options.scope_kind, options.scope_key, options.lang
    if kind == "province":
        province = catalog.boundaries("province", PROVINCE_TOLERANCE_M).geometry.iloc[0]
        crs, note = _albers(lang)
        return Scope(kind, "", tr(lang, "河南省", "Henan Province"), province, None, crs,
                     PROVINCE_TOLERANCE_M, note)
    if kind == "city":
        row = _city_row(catalog.boundaries("city", 0), key)
        crs, note = _gk(shapely.centroid(row.geometry).x, lang)
        return Scope(kind, row["name_zh"], city_name(row["name_zh"], lang), row.geometry, row.geometry,
                     crs, 0.0, note)
    layer = catalog.layer("parks" if kind == "park" else "clusters")
    match = layer[layer["id"] == key]
    if match.empty:
        located = layer[layer.geometry.notna()]
        raise _unknown(*(("园区", "park") if kind == "park" else ("集群", "cluster")), key,
                       list(located["id"]))
    row = match.iloc[0]
    if row.geometry is None:
        raise UserError(
            f"“{row['name_zh']}”没有位置，无法单独出图（它列在招商图册封面上）。",
            f"'{row['name_en']}' has no location, so it has no sheet (it is listed on the "
            "pitch-pack cover).", code="unlocated")
    crs, note = _gk(shapely.centroid(row.geometry).x, lang)
    feature = row.to_dict()
    name = pick(feature, "name", lang)
    if kind == "park":
        return Scope(kind, key, name, _buffer_lonlat(row.geometry, PARK_CONTEXT_M), row.geometry, crs,
                     0.0, note, feature)
    cities = catalog.boundaries("city", 0)
    home = cities[cities["name_zh"] == row["city"]]
    extent = home.geometry.iloc[0] if len(home) else _buffer_lonlat(row.geometry, 4 * PARK_CONTEXT_M)
    return Scope(kind, key, name, extent, None, crs, 0.0, note, feature)


def fit_frame(extent_xy: tuple, box_mm: tuple, pad: float) -> tuple[float, float, float, float]:
    """Widen projected bounds (x0, y0, x1, y1) to the frame's proportions, with ``pad`` margin."""
    x0, y0, x1, y1 = extent_xy
    w, h = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    aspect = box_mm[2] / box_mm[3]
    w, h = max(w, h * aspect), max(h, w / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
