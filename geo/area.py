"""Areas: ellipsoidal (the reference figure) and Gauss–Krüger planar (what surveys also report).

Ellipsoidal area is computed vectorised by projecting to an Albers equal-area projection on the
GRS80 ellipsoid (CGCS2000's). An equal-area projection preserves ellipsoidal area exactly; the
only difference from :meth:`pyproj.Geod.geometry_area_perimeter` is edges drawn straight in the
projection instead of as geodesics, which for parcels (edges of metres to kilometres) is far
below 0.01 %. Tests check this against ``pyproj.Geod`` directly.

Both areas are the planar area of the projected vertices, as ``shapely.area`` of the projected
polygons would be, but computed from the coordinates alone (:class:`Rings`): only the
coordinates are projected, no projected geometry is built, and one read of the coordinates
serves both areas (:func:`ellipsoidal_and_gk_area_m2`, what a parcel check needs). The GK area
is not taken as the ellipsoidal one times the zone's areal scale (k²) at the centroid: exact for
small rectangles, but irregular parcels' edges are straight in a different plane, and for 10 m –
1 km polygons that moved a third of them at the cent (up to 9e-6 relative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

from geo.crs import CGCS2000, gk_epsg, transform_geoms, transformer

#: Albers equal-area on GRS80, standard parallels bracketing Henan (31.4°N–36.4°N).
HENAN_EQUAL_AREA = CRS.from_proj4(
    "+proj=aea +lat_0=0 +lon_0=113.5 +lat_1=32 +lat_2=36 +x_0=0 +y_0=0 "
    "+ellps=GRS80 +units=m +no_defs"
)
POLYGON = shapely.GeometryType.POLYGON
COLLECTIONS = (shapely.GeometryType.MULTIPOINT, shapely.GeometryType.MULTILINESTRING,
               shapely.GeometryType.MULTIPOLYGON, shapely.GeometryType.GEOMETRYCOLLECTION)


@dataclass(frozen=True)
class Rings:
    """The rings of ``n`` geometries' polygons as flat coordinate arrays: ``counts`` coordinates
    per ring from ``starts``, the geometry each ring belongs to (``owner``) and whether it adds
    (+1, a shell) or removes (-1, a hole) area. Lines and points have no rings (area 0); a
    missing geometry's area is NaN, as ``shapely.area`` gives."""

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    owner: np.ndarray
    sign: np.ndarray
    missing: np.ndarray

    @classmethod
    def of(cls, geoms) -> Rings:
        geoms = np.asarray(geoms, dtype=object).ravel()
        missing = shapely.is_missing(geoms)
        pieces, owner = geoms, np.arange(len(geoms))
        polygons, polygon_owner = [np.empty(0, dtype=object)], [np.empty(0, dtype=int)]
        while len(pieces):  # collections taken apart until only their members are left
            kinds = shapely.get_type_id(pieces)
            polygons.append(pieces[kinds == POLYGON])
            polygon_owner.append(owner[kinds == POLYGON])
            nested = np.isin(kinds, COLLECTIONS)
            pieces, index = shapely.get_parts(pieces[nested], return_index=True)
            owner = owner[nested][index]
        polygons, owner = np.concatenate(polygons), np.concatenate(polygon_owner)
        holed = shapely.get_num_interior_rings(polygons) > 0
        rings, index = shapely.get_rings(polygons[holed], return_index=True)  # each shell, then its holes
        shell = np.r_[True, index[1:] != index[:-1]] if len(index) else np.zeros(0, dtype=bool)
        rings = np.concatenate([polygons[~holed], rings])  # a polygon without holes stands for its shell
        owner = np.concatenate([owner[~holed], owner[holed][index]])
        sign = np.concatenate([np.ones((~holed).sum()), np.where(shell, 1.0, -1.0)])
        counts = shapely.get_num_coordinates(rings)
        drawn = counts > 0  # an empty polygon has no ring to measure
        xy = shapely.get_coordinates(rings[drawn])
        counts = counts[drawn]
        return cls(xy[:, 0], xy[:, 1], np.cumsum(counts) - counts, counts, owner[drawn], sign[drawn], missing)

    def coordinate_owner(self) -> np.ndarray:
        """The geometry each coordinate belongs to."""
        return np.repeat(self.owner, self.counts)

    def _cross(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``x`` about each ring's first vertex, and the cross product of the edge each vertex
        starts (0 at the vertex closing a ring): the shoelace taken about the first vertex, as
        GEOS takes it, so that large projected coordinates lose no precision."""
        dx = x - np.repeat(x[self.starts], self.counts)
        dy = y - np.repeat(y[self.starts], self.counts)
        cross = np.append(dx[:-1] * dy[1:] - dx[1:] * dy[:-1], 0.0)
        cross[self.starts + self.counts - 1] = 0.0
        return dx, cross

    def _per_geometry(self, per_ring: np.ndarray) -> np.ndarray:
        return np.bincount(self.owner, weights=per_ring, minlength=len(self.missing))

    def areas(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each geometry's planar area with the coordinates ``x``, ``y`` (these rings' vertices
        projected): shells less holes."""
        out = np.zeros(len(self.missing))
        if len(self.starts):
            ring_area = np.abs(np.add.reduceat(self._cross(x, y)[1], self.starts)) / 2
            out = self._per_geometry(self.sign * ring_area)
        out[self.missing] = np.nan
        return out

    def centroid_x(self) -> np.ndarray:
        """Each geometry's centroid x (its shells' less its holes', weighted by area), as
        ``shapely.centroid`` gives it; NaN where there is no area to weigh."""
        out = np.full(len(self.missing), np.nan)
        if len(self.starts):
            dx, cross = self._cross(self.x, self.y)
            twice_area = np.add.reduceat(cross, self.starts)  # signed by the ring's orientation
            moment = np.add.reduceat((dx + np.append(dx[1:], 0.0)) * cross, self.starts) / 6
            area = self._per_geometry(self.sign * np.abs(twice_area) / 2)
            weighted = self._per_geometry(self.sign * (np.abs(twice_area) / 2 * self.x[self.starts]
                                                       + np.sign(twice_area) * moment))
            np.divide(weighted, area, out=out, where=area != 0)
        return out


def ellipsoidal_area_m2(geoms, crs=CGCS2000) -> np.ndarray:
    """Ellipsoidal areas (m²) of geometries given in geographic ``crs`` (default CGCS2000)."""
    rings = Rings.of(geoms)
    return rings.areas(*transformer(crs, HENAN_EQUAL_AREA).transform(rings.x, rings.y))


def gk_area_m2(geoms, crs=CGCS2000) -> tuple[np.ndarray, np.ndarray]:
    """Planar areas (m²) in each geometry's own 3° GK zone, and that zone's EPSG code.

    The zone is chosen from the geometry's centroid longitude, as a land survey would.
    Geometries in different zones are projected zone by zone.
    """
    geoms = np.asarray(geoms, dtype=object).ravel()
    lonlat = transform_geoms(geoms, crs, CGCS2000) if crs != CGCS2000 else geoms
    return _gk_areas(lonlat, Rings.of(lonlat))


def ellipsoidal_and_gk_area_m2(geoms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`ellipsoidal_area_m2` and :func:`gk_area_m2` of geometries in CGCS2000, from one
    read of their coordinates (what a parcel check needs)."""
    geoms = np.asarray(geoms, dtype=object).ravel()
    rings = Rings.of(geoms)
    ellipsoidal = rings.areas(*transformer(CGCS2000, HENAN_EQUAL_AREA).transform(rings.x, rings.y))
    return ellipsoidal, *_gk_areas(geoms, rings)


def _gk_areas(lonlat: np.ndarray, rings: Rings) -> tuple[np.ndarray, np.ndarray]:
    lons = rings.centroid_x()
    flat = np.flatnonzero(np.isnan(lons) & ~rings.missing)  # no area: the centroid of its lines or points
    flat = flat[~shapely.is_empty(lonlat[flat])]
    lons[flat] = shapely.get_x(shapely.centroid(lonlat[flat]))
    meridians = np.round(lons / 3.0) * 3.0
    codes = np.zeros(len(lonlat), dtype=int)
    for cm in np.unique(meridians[~np.isnan(meridians)]):  # a handful of zones: one check per zone
        codes[meridians == cm] = gk_epsg(float(cm))
    zone = codes[rings.coordinate_owner()]
    x, y = np.empty_like(rings.x), np.empty_like(rings.y)
    for code in np.unique(zone):
        mask = zone == code
        x[mask], y[mask] = transformer(CGCS2000, int(code)).transform(rings.x[mask], rings.y[mask])
    return rings.areas(x, y), codes
