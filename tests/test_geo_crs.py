"""CRS recognition for uploads: EPSG from bare GK WKT, inference from magnitudes, resolution;
shared transformers and OGC bboxes."""

from __future__ import annotations

import threading
import time

import pytest
import shapely
from pyproj import CRS, Transformer

from geo.crs import CGCS2000, get_crs, identify_epsg, infer_crs, resolve_crs, transformer
from geo.crs_ogc import bbox_to_xy
from geo.errors import CRSError


def _gk_bounds(epsg, lon=113.84, lat=34.53, size=300):
    x, y = transformer(CGCS2000, epsg).transform(lon, lat)
    return (x, y, x + size, y + size)


@pytest.mark.parametrize(("cm", "fe", "expected"), [
    (111, 500_000, 4546), (114, 500_000, 4547), (117, 500_000, 4548),
    (111, 37_500_000, 4525), (114, 38_500_000, 4526), (117, 39_500_000, 4527),
    (111, 19_500_000, 4497)])
def test_identify_epsg_from_bare_gk_parameters(cm, fe, expected):
    crs = CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0={cm} +k=1 +x_0={fe} +y_0=0 +ellps=GRS80 "
                         "+units=m +no_defs")
    assert identify_epsg(crs) == expected


def test_identify_epsg_names_xian80_and_leaves_unknown_grids_alone():
    xian = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +a=6378140 "
                          "+rf=298.257 +units=m +no_defs")
    assert identify_epsg(xian) == 2383  # Xian 1980 / 3-degree GK CM 114E: refused later
    local = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=600000 +y_0=0 +ellps=GRS80 "
                           "+units=m +no_defs")
    assert identify_epsg(local) is None
    assert identify_epsg(4547) == 4547


def test_infer_crs():
    assert infer_crs((113.8, 34.5, 113.9, 34.6)) == [CGCS2000]
    assert infer_crs(_gk_bounds(4526)) == [4526]
    assert infer_crs(_gk_bounds(4525, lon=111.2)) == [4525]
    assert infer_crs(_gk_bounds(4547)) == [4546, 4547, 4548]
    assert infer_crs((1000, 2000, 3000, 4000)) == []
    # Only zones that place the data inside the region remain candidates.
    small_henan = shapely.box(113.5, 34.3, 114.2, 34.9)
    assert infer_crs(_gk_bounds(4547), small_henan) == [4547]


def test_resolve_crs_order_user_file_inferred():
    bounds = _gk_bounds(4526)
    assert resolve_crs(None, bounds, user="EPSG:4526")[1] == "user"
    crs, how, notes = resolve_crs(4526, bounds)
    assert (crs.to_epsg(), how, notes) == (4526, "file", [])
    crs, how, notes = resolve_crs(None, bounds)
    assert (crs.to_epsg(), how) == (4526, "inferred") and notes
    crs, how, notes = resolve_crs(4326, bounds)  # a geographic claim on metre values
    assert (crs.to_epsg(), how) == (4526, "inferred") and len(notes) == 2
    _, _, notes = resolve_crs(4547, bounds, user=4526)
    assert notes and "4547" in notes[0][1]


def test_resolve_crs_refuses_ambiguity_and_nonsense():
    with pytest.raises(CRSError) as info:
        resolve_crs(None, _gk_bounds(4547))
    assert info.value.code == "crs_ambiguous" and info.value.candidates == [4546, 4547, 4548]
    with pytest.raises(CRSError) as info:
        resolve_crs(None, (1000, 2000, 3000, 4000))
    assert info.value.code == "crs_unknown" and "4547" in info.value.en


OGC_PAIRS = [("OGC:CRS84", CGCS2000), (CGCS2000, 3857), (3857, CGCS2000), (4326, CGCS2000),
             (CGCS2000, 4547)]


def test_transformers_cost_nothing_on_a_new_thread():
    """A threaded server runs each request on a new thread: a transformer rebuilt there from its
    CRSs cost 60–250 ms per pair; built once per process it is ready in well under 1 ms."""
    for pair in OGC_PAIRS:
        transformer(*pair).transform(113.6, 34.7)
    took = []

    def use_all():
        start = time.perf_counter()
        for pair in OGC_PAIRS:
            transformer(*pair).transform(113.6, 34.7)
        took.append((time.perf_counter() - start) * 1000)

    for _ in range(3):
        thread = threading.Thread(target=use_all)
        thread.start()
        thread.join()
    assert min(took) < 25, took


@pytest.mark.parametrize("pair", [*OGC_PAIRS, (4547, CGCS2000), (2385, CGCS2000), (4267, 4269)])
def test_shared_transformers_give_what_pyproj_gives(pair):
    """Same numbers as a transformer built from the CRSs, also for a pair whose operation PROJ
    picks per point (NAD27 → NAD83 in the US), which keeps the CRS form."""
    src, dst = pair
    x0, y0 = (-100.0, 40.0) if pair == (4267, 4269) else (113.6, 34.7)
    if src in (3857, 4547):
        x0, y0 = transformer(CGCS2000, src).transform(x0, y0)
    direct = Transformer.from_crs(get_crs(src), get_crs(dst), always_xy=True)
    there = transformer(src, dst).transform(x0, y0)
    assert there == pytest.approx(direct.transform(x0, y0))
    assert transformer(dst, src).transform(*there) == pytest.approx((x0, y0), rel=1e-9)


@pytest.mark.parametrize("bbox,src", [((12600000, 4100000, 12700000, 4200000), 3857),
                                      ((34.0, 113.0, 35.0, 114.0), 4490),
                                      ((3700000, 400000, 3800000, 500000), 4547)])
def test_bbox_to_xy_covers_the_curved_image_like_pyproj(bbox, src):
    """Same as pyproj's transform_bounds; EPSG:4490 and the GK zones are given north first."""
    direct = Transformer.from_crs(get_crs(src), get_crs(CGCS2000), always_xy=True)
    xy = (bbox[1], bbox[0], bbox[3], bbox[2]) if src in (4490, 4547) else bbox
    assert bbox_to_xy(bbox, src, CGCS2000) == pytest.approx(
        direct.transform_bounds(*xy, densify_pts=21))
