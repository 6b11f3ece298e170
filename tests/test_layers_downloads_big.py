"""Downloads of a big thematic layer: read and written in batches, never loaded whole, giving the
same file as the whole-layer path; GeoJSON and KML of it are refused with what to do instead."""

from __future__ import annotations

import io
import zipfile

import pyogrio
import pytest

from benchmarks.synthetic import fictional_points, install_layer
from core.errors import UserError
from layers import downloads
from layers.downloads import download_layer
from parks import catalog as catalog_module
from parks.catalog import Catalog

FEATURES = 600


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


def _read(file, tmp_path, tag: str):
    path = tmp_path / f"{tag}-{file.filename}"
    path.write_bytes(file.data)
    return pyogrio.read_dataframe(path)


@pytest.mark.parametrize(("fmt", "crs"), [("gpkg", 4490), ("csv", 4547), ("shp", 4326)])
def test_a_big_layer_is_written_in_batches_as_the_whole_layer_is(big_projects, monkeypatch, tmp_path,
                                                                 fmt, crs):
    whole = download_layer(Catalog(big_projects), "projects", fmt, crs)
    catalog, read_whole = _light_catalog(big_projects, monkeypatch)
    batched = download_layer(catalog, "projects", fmt, crs)
    assert read_whole == []
    assert (batched.filename, batched.mimetype) == (whole.filename, whole.mimetype)
    if fmt == "csv":
        assert batched.data == whole.data
    elif fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(whole.data)) as w, zipfile.ZipFile(io.BytesIO(batched.data)) as b:
            assert w.namelist() == b.namelist()
            for member in ("README.txt", "projects_EPSG4326_fulltext.csv", "projects_EPSG4326.dbf"):
                assert b.read(member) == w.read(member), member
            fulltext = b.read("projects_EPSG4326_fulltext.csv").decode("utf-8-sig")
            assert [line.split(",")[0] for line in fulltext.splitlines()] == ['"record"', "11", "401", "591"]
    else:
        got, want = _read(batched, tmp_path, "batched"), _read(whole, tmp_path, "whole")
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
