"""Every CRS question answered in one place.

Conventions (DESIGN.md, "Geography conventions"):

* Reference CRS is CGCS2000 (EPSG:4490). **CGCS2000 and WGS84 differ by a few centimetres,
  far below anything this product draws or measures, so geographic coordinates in either are
  treated as the same for display** (Leaflet is fed them as EPSG:4326). This is the only place
  that equivalence is stated; code that needs it calls :func:`is_geographic_cgcs2000_like`.
* Planar survey figures use CGCS2000 3° Gauss–Krüger zones. Henan spans longitude 110.3–116.7°E,
  so three zones apply, with central meridians 111°, 114° and 117°E.
* GCJ-02 / BD-09 are never treated as CGCS2000; see :mod:`geo.gcj02`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.errors import CRSError

CGCS2000 = 4490
WGS84 = 4326
WEB_MERCATOR = 3857

#: central meridian (°E) -> (EPSG without zone prefix, EPSG with zone prefix, zone number)
GK_ZONES = {
    111: (4546, 4525, 37),
    114: (4547, 4526, 38),
    117: (4548, 4527, 39),
}

#: Henan's extent in degrees (generous by ~0.3° for parcels on the border).
HENAN_BOUNDS = (110.0, 31.2, 117.0, 36.6)


@lru_cache(maxsize=64)
def get_crs(value) -> CRS:
    """Return a :class:`pyproj.CRS` for an EPSG int, "EPSG:n", a URI/CURIE, WKT or PROJ string.

    Raises :class:`CRSError` with a bilingual message listing the accepted forms.
    """
    if isinstance(value, CRS):
        return value
    text = str(value).strip()
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/",
                   "[EPSG:", "urn:ogc:def:crs:EPSG::"):
        if text.startswith(prefix):
            text = "EPSG:" + text[len(prefix):].rstrip("]")
    if text in ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "OGC:CRS84"):
        text = "OGC:CRS84"
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except Exception as exc:  # pyproj raises CRSError of its own with English text only
        raise CRSError(
            f"无法识别坐标系“{value}”。请填写 EPSG 代码（如 4490、4547），或上传带 .prj 的文件。",
            f"Unknown coordinate reference system '{value}'. Give an EPSG code "
            "(e.g. 4490, 4547) or upload the file with its .prj.",
        ) from exc


def epsg_code(crs) -> int | None:
    """The EPSG code of a CRS, or None when it has none."""
    return get_crs(crs).to_epsg() if crs is not None else None


@lru_cache(maxsize=64)
def transformer(src, dst) -> Transformer:
    """A cached, thread-safe-to-reuse transformer with x=longitude/easting order."""
    return Transformer.from_crs(get_crs(src), get_crs(dst), always_xy=True)


def is_geographic_cgcs2000_like(crs) -> bool:
    """True for CGCS2000, WGS84 and CRS84 — coordinates this product treats as the same."""
    code = epsg_code(crs)
    return code in (CGCS2000, WGS84) or get_crs(crs).to_string() == "OGC:CRS84"


def gk_central_meridian(lon: float) -> int:
    """The 3° zone central meridian (111, 114 or 117) for a longitude in or near Henan."""
    cm = int(round(lon / 3.0) * 3)
    if cm not in GK_ZONES:
        raise CRSError(
            f"经度 {lon:.3f}° 不在河南省的 3° 带（中央经线 111°、114°、117°）范围内。",
            f"Longitude {lon:.3f}° lies outside Henan's 3° Gauss–Krüger zones (CM 111/114/117°E).",
            code="outside_henan",
        )
    return cm


def gk_epsg(lon: float, *, zone_prefix: bool = False) -> int:
    """EPSG of the CGCS2000 3° GK zone containing ``lon`` (4546-4548, or 4525-4527 prefixed)."""
    plain, prefixed, _ = GK_ZONES[gk_central_meridian(lon)]
    return prefixed if zone_prefix else plain


def gk_zone_of_epsg(code: int) -> tuple[int, bool] | None:
    """(central meridian, has zone prefix) for one of Henan's GK EPSG codes, else None."""
    for cm, (plain, prefixed, _) in GK_ZONES.items():
        if code == plain:
            return cm, False
        if code == prefixed:
            return cm, True
    return None


def crs_label(crs) -> str:
    """A short human label such as 'EPSG:4547 CGCS2000 / 3-degree Gauss-Kruger CM 114E'."""
    c = get_crs(crs)
    code = c.to_epsg()
    return f"EPSG:{code} {c.name}" if code else c.name


def transform_geoms(geoms, src, dst):
    """Transform shapely geometries (one or an array) from ``src`` to ``dst``, vectorised."""
    t = transformer(src, dst)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
