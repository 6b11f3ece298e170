"""CRS identifiers and axis order as OGC web services use them (OGC API – Features Part 2).

Web APIs name a CRS by URI (``http://www.opengis.net/def/crs/EPSG/0/4490``) and give coordinates
in the axis order the CRS defines: EPSG:4490 and EPSG:4326 are latitude first, CRS84 and
EPSG:3857 x/longitude first. Everything else in this code base keeps x = longitude/easting
(``always_xy``); these helpers convert at the boundary, and only there.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from geo.crs import get_crs, is_geographic_cgcs2000_like, transformer
from geo.errors import CRSError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"


@lru_cache(maxsize=64)
def crs_uri(value) -> str:
    """The OGC URI for a CRS given as URI, CURIE ``[EPSG:4490]``, ``EPSG:4490``, ``4490`` or ``CRS84``.

    Cached: a pyproj CRS re-identifies itself on each new thread (~1.5 ms).
    Raises :class:`CRSError` when the CRS is unknown or has no EPSG code.
    """
    crs = get_crs(value)
    if crs.to_string() == "OGC:CRS84":
        return CRS84
    code = crs.to_epsg()
    if code is None:
        raise CRSError(f"坐标系“{value}”没有 EPSG 代码，请用 EPSG 代码或 OGC URI 指定。",
                       f"The coordinate system '{value}' has no EPSG code: give an EPSG code or "
                       "an OGC CRS URI.")
    return EPSG_URI.format(code=code)


@lru_cache(maxsize=32)
def lonlat_like(crs) -> bool:
    """Cached :func:`geo.crs.is_geographic_cgcs2000_like` for the CRSs a request names
    (identifying CRS84 against the EPSG database takes milliseconds each time)."""
    return is_geographic_cgcs2000_like(crs)


@lru_cache(maxsize=32)
def lat_first(crs) -> bool:
    """True when the CRS's first axis points north or south (EPSG:4490, EPSG:4326)."""
    return get_crs(crs).axis_info[0].direction.lower() in ("north", "south")


def swap_xy(geoms):
    """Geometries with their two coordinates swapped (x, y) -> (y, x)."""
    return shapely.transform(geoms, lambda xy: np.ascontiguousarray(xy[:, ::-1]))


def to_axis_order(geoms, crs):
    """Geometries held x-first, laid out in ``crs``'s own axis order."""
    return swap_xy(geoms) if lat_first(crs) else geoms


def bbox_to_xy(bbox, src, dst, *, densify: int = 21) -> tuple[float, float, float, float]:
    """A bbox given in ``src``'s axis order as (minx, miny, maxx, maxy) x-first in ``dst``.

    Edges are densified (``densify`` points between corners) so a bbox in a projected CRS still
    covers its curved image.
    """
    a, b, c, d = (float(v) for v in bbox)
    xmin, ymin, xmax, ymax = (b, a, d, c) if lat_first(src) else (a, b, c, d)
    steps = np.linspace(0.0, 1.0, densify + 2)
    xs = np.concatenate([xmin + (xmax - xmin) * steps, np.full_like(steps, xmax),
                         xmax - (xmax - xmin) * steps, np.full_like(steps, xmin)])
    ys = np.concatenate([np.full_like(steps, ymin), ymin + (ymax - ymin) * steps,
                         np.full_like(steps, ymax), ymax - (ymax - ymin) * steps])
    tx, ty = transformer(src, dst).transform(xs, ys)
    return float(np.min(tx)), float(np.min(ty)), float(np.max(tx)), float(np.max(ty))
