"""Finding patches of a survey layer that overlap one another.

Survey patches tile the land: two patches may share an edge, never an area, and a delivered
DLTB is topologically clean, so neighbours share their boundary vertices. That makes the check
cheap. Every patch's edges are counted (exteriors counter-clockwise, holes clockwise): a shared
edge appears twice, in opposite directions. A patch with an edge that does not — an *open*
patch — lies on the edge of the set, or meets a neighbour at vertices it does not share, or
overlaps something. Only open patches are then measured against the patches an STRtree finds
around them: their intersections, on the ellipsoid; a pair counts as overlapping when the
shared area exceeds the tolerance (drawing noise of a few square centimetres is not an overlap).
When many patches are open (neighbours that do not share vertices), GEOS's coverage validation
(``shapely.coverage_invalid_edges``) first narrows them to those whose edges really conflict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.area import ellipsoidal_area_m2

#: shared area (m²) beyond which two patches overlap
OVERLAP_TOLERANCE_M2 = 1.0
#: share of open patches above which coverage validation narrows them first
OPEN_SHARE_FOR_COVERAGE = 0.05
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _point_keys(xy: np.ndarray) -> np.ndarray:
    """A 64-bit key per point from its coordinates' exact bits."""
    bits = np.ascontiguousarray(xy).view(np.uint64).reshape(-1, 2)
    return bits[:, 0] * _MIX ^ (bits[:, 1] + (bits[:, 1] << np.uint64(17)))


def open_patches(geoms: np.ndarray) -> np.ndarray:
    """The indices of the patches with an edge no other patch of ``geoms`` shares in the
    opposite direction (64-bit keys of the exact coordinates; a collision, about one in 10¹¹
    for a county, could hide one open edge)."""
    rings, ring_geom = shapely.get_rings(shapely.orient_polygons(geoms), return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = _point_keys(xy[:-1][same]), _point_keys(xy[1:][same])
    owner = ring_geom[ring[:-1][same]]
    forward = a < b
    low, high = np.where(forward, a, b), np.where(forward, b, a)
    keys = low * _MIX ^ (high + (high << np.uint64(29)) + (high >> np.uint64(7)))
    inverse = pd.factorize(keys)[0]  # a hash table: no sort of a million keys
    counts = np.bincount(inverse)
    balance = np.bincount(inverse, weights=np.where(forward, 1.0, -1.0))
    bad = (counts[inverse] != 2) | (balance[inverse] != 0)
    return np.unique(owner[bad])


def _measured(pairs: np.ndarray, left: np.ndarray, right: np.ndarray, tolerance_m2: float):
    """The ``pairs`` (rows of indices into ``left`` and ``right``) sharing more than the tolerance."""
    if not len(pairs):
        return []
    shared = shapely.intersection(left[pairs[:, 0]], right[pairs[:, 1]])
    some = shapely.area(shared) > 0  # in degrees: touching pairs meet in lines, area 0
    areas = np.zeros(len(pairs))
    if some.any():
        areas[some] = ellipsoidal_area_m2([_polygonal(g) for g in shared[some]])
    over = areas > tolerance_m2
    return [(int(i), int(j), float(m2)) for (i, j), m2 in zip(pairs[over], areas[over], strict=True)]


def overlapping_pairs(geoms: np.ndarray, *, tolerance_m2: float = OVERLAP_TOLERANCE_M2,
                      tree: shapely.STRtree | None = None, open_: np.ndarray | None = None
                      ) -> list[tuple[int, int, float]]:
    """(i, j, shared m²) with i < j for every pair of ``geoms`` (polygons in CGCS2000) whose
    shared area exceeds ``tolerance_m2``. ``tree`` and ``open_`` (:func:`open_patches`) when
    the caller has them already."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return []
    suspects = open_patches(geoms) if open_ is None else open_
    if len(suspects) > OPEN_SHARE_FOR_COVERAGE * len(geoms):
        conflicting = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geoms)))
        suspects = np.intersect1d(suspects, conflicting)
    if not len(suspects):
        return []
    tree = tree or shapely.STRtree(geoms)
    left, right = tree.query(geoms[suspects], predicate="intersects")
    left = suspects[left]
    other = left != right
    # a suspect may meet an innocent-looking patch (a patch inside another opens only the inner)
    pairs = np.unique(np.sort(np.column_stack([left[other], right[other]]), axis=1), axis=0)
    return _measured(pairs, geoms, geoms, tolerance_m2)


def overlapping_across(first: np.ndarray, first_open: np.ndarray, second: np.ndarray,
                       second_open: np.ndarray, *, tolerance_m2: float = OVERLAP_TOLERANCE_M2
                       ) -> list[tuple[int, int, float]]:
    """(i in ``first``, j in ``second``, shared m²) for overlapping pairs between two sets
    checked on their own (two consecutive batches), given each set's open patches: a patch of
    one overlapping a patch of the other is open in its own set, so only open patches are
    measured against the other set."""
    pairs = []
    if len(second_open):  # query() answers (index of the queried, index in the tree)
        queried, i = shapely.STRtree(first).query(second[second_open], predicate="intersects")
        pairs.append(np.column_stack([i, second_open[queried]]))
    if len(first_open):
        queried, j = shapely.STRtree(second).query(first[first_open], predicate="intersects")
        pairs.append(np.column_stack([first_open[queried], j]))
    if not pairs:
        return []
    return _measured(np.unique(np.concatenate(pairs), axis=0), first, second, tolerance_m2)


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
