"""Overlapping survey patches are found — duplicates, patches inside others, partial overlaps,
within a batch and across two — and shared edges or drawing noise are not overlaps."""

import numpy as np
import pytest
import shapely

from geo.overlaps import open_patches, overlapping_across, overlapping_pairs

N = 90  # a 90 × 90 grid: its 356 edge patches are under 5 %, so no coverage validation runs


def _grid(n=N, cell=0.0005):
    xs = 113.0 + np.arange(n + 1) * cell  # shared corners: identical coordinates on both sides
    ys = 34.0 + np.arange(n + 1) * cell
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n)))
    return shapely.segmentize(shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]), cell / 4)


def test_a_clean_grid_has_no_overlaps_and_only_its_rim_is_open():
    geoms = _grid()
    assert len(open_patches(geoms)) == 4 * N - 4
    assert overlapping_pairs(geoms) == []


@pytest.mark.parametrize("extra", [
    lambda g: g[4050],  # a duplicate
    lambda g: shapely.box(*shapely.bounds(g[4050])).buffer(-0.0001),  # inside another
    lambda g: shapely.affinity.translate(g[4050], 0.0002, 0.0),  # across two neighbours
])
def test_overlaps_in_one_batch_are_measured(extra):
    geoms = _grid()
    geoms = np.append(geoms, extra(geoms))
    found = overlapping_pairs(geoms)
    assert found and all(j == len(geoms) - 1 for _, j, _ in found)
    assert {i for i, _, _ in found} <= {4049, 4050, 4051}
    assert all(m2 > 100 for *_, m2 in found)


def test_overlaps_across_two_batches_are_found_from_either_side():
    geoms = _grid()
    first, second = geoms[: N * N // 2], geoms[N * N // 2:]
    second = np.append(second, first[2000])  # a duplicate of an inner patch of the first batch
    found = overlapping_across(first, open_patches(first), second, open_patches(second))
    assert [(i, j) for i, j, _ in found] == [(2000, len(second) - 1)]
    clean = overlapping_across(first, open_patches(first), geoms[N * N // 2:],
                               open_patches(geoms[N * N // 2:]))
    assert clean == []  # the two halves' shared row of edges is no overlap
