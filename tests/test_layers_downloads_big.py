"""Downloads of a big thematic layer: read and written in batches, never loaded whole, giving the
same file as the whole-layer path; GeoJSON and KML of it are refused with what to do instead."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyogrio
import pytest

from benchmarks.synthetic import fictional_points, install_layer
from core.errors import UserError
from layers import downloads
from layers.downloads import download_layer
from parks import catalog as catalog_module
from parks.catalog import Catalog

FEATURES = 600

pytestmark = pytest.mark.usefixtures("own_tempdir")  # every file written is removed or seen


@pytest.fixture
def big_projects(data_dir):
    layer = fictional_points(Catalog(data_dir), "projects", FEATURES)
    # evidence and sources longer than a DBF text, in the first, second and last batch: cut in
    # a Shapefile, whole in its full-text CSV
    layer.loc[[10, 400, 590], "src_id"] = [3, 3, 26]
    install_layer(data_dir, "projects", layer)
    return data_dir


def _light_catalog(data_dir, monkeypatch) -> tuple[Catalog, list]:
    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 100)
    monkeypatch.setattr(downloads, "DOWNLOAD_BATCH", 250)
    catalog = Catalog(data_dir)
    read_whole = []
    monkeypatch.setattr(catalog, "layer", lambda name, **kw: read_whole.append(name))
    return catalog, read_whole


@pytest.mark.parametrize(("fmt", "crs"), [("gpkg", 4490), ("csv", 4547), ("shp", 4326)])
def test_a_big_layer_is_written_in_batches_as_the_whole_layer_is(big_projects, monkeypatch, fmt, crs):
    with download_layer(Catalog(big_projects), "projects", fmt, crs) as whole:
        catalog, read_whole = _light_catalog(big_projects, monkeypatch)
        with download_layer(catalog, "projects", fmt, crs) as batched:
            assert read_whole == []
            assert (batched.filename, batched.mimetype) == (whole.filename, whole.mimetype)
            _assert_same_file(fmt, batched.path, whole.path)


def _assert_same_file(fmt: str, got: Path, want: Path) -> None:
    if fmt == "csv":
        assert got.read_bytes() == want.read_bytes()
    elif fmt == "shp":
        with zipfile.ZipFile(want) as w, zipfile.ZipFile(got) as b:
            assert w.namelist() == b.namelist()
            for member in ("README.txt", "projects_EPSG4326_fulltext.csv", "projects_EPSG4326.dbf"):
                assert b.read(member) == w.read(member), member
            fulltext = b.read("projects_EPSG4326_fulltext.csv").decode("utf-8-sig")
            assert [line.split(",")[0] for line in fulltext.splitlines()] == ['"record"', "11", "401", "591"]
    else:
        got, want = pyogrio.read_dataframe(got), pyogrio.read_dataframe(want)
        assert len(got) == FEATURES and got.equals(want)


@pytest.mark.parametrize("fmt", ["geojson", "kml"])
def test_a_big_layer_is_not_written_as_geojson_or_kml(big_projects, monkeypatch, fmt):
    catalog, read_whole = _light_catalog(big_projects, monkeypatch)
    with pytest.raises(UserError) as refused:
        download_layer(catalog, "projects", fmt, 4490)
    assert refused.value.code == "too_big_for_format" and refused.value.status == 400
    assert "GeoPackage" in refused.value.zh and "CSV" in refused.value.en
    assert "/ogc/collections/projects/items" in refused.value.en
    assert read_whole == []


def test_the_api_and_the_page_offer_a_big_layer_in_the_formats_it_is_written_in(big_projects, client,
                                                                                 monkeypatch):
    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 100)
    refused = client.get("/api/layers/projects?format=geojson")
    assert refused.status_code == 400 and refused.get_json()["error"] == "too_big_for_format"
    inline = client.get("/api/layers/projects")  # the map's GeoJSON: never the whole big layer
    assert inline.status_code == 400 and inline.get_json()["error"] == "too_big_for_format"
    served = client.get("/api/layers/projects?format=gpkg")
    assert served.status_code == 200 and served.data[:16] == b"SQLite format 3\x00"
    page = client.get("/data/?lang=en").get_data(as_text=True)
    row = page[page.index('id="layer-projects"'):page.index('id="layer-clusters"')]
    assert '<option value="gpkg">' in row and '<option value="geojson">' not in row
    assert "page through the OGC API for GeoJSON" in row
    assert ">GeoJSON API</a>" not in row and ">OGC API</a>" in row  # the map's GeoJSON route refuses it
    assert '<option value="geojson">' in page[page.index('id="layer-clusters"'):]


def test_a_download_failing_half_way_leaves_no_file_behind(big_projects, app, client, monkeypatch,
                                                           own_tempdir):
    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 100)
    monkeypatch.setattr(downloads, "DOWNLOAD_BATCH", 250)
    catalog = app.extensions["atlas_catalog"]
    read, batches = catalog.features, []

    def damaged_after_one_batch(name, positions):
        batches.append(len(positions))
        if len(batches) > 1:
            raise UserError("图层文件已损坏。", "The layer file is damaged.", code="damaged")
        return read(name, positions)

    monkeypatch.setattr(catalog, "features", damaged_after_one_batch)
    with client.get("/api/layers/projects?format=shp") as r:
        assert r.status_code == 400 and r.get_json()["error"] == "damaged"
    assert batches == [250, 250]
    assert list(own_tempdir.iterdir()) == []
