"""Downloads: /api/layers/<name>?format=…&crs=…, the /data/ page and `flask layer`."""

import io
import zipfile
import zlib

import flask
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from core.errors import UserError
from geo.vector_write import DOWNLOAD_EPSG, DOWNLOAD_PREFIX, FORMATS, truncate_utf8
from layers.downloads import download_layer, layer_frame
from parks.catalog import LAYERS, Catalog

THEMATIC = ("parks", "zones", "foxconn", "projects", "clusters")

pytestmark = pytest.mark.usefixtures("own_tempdir")  # the files downloads leave are seen


def _read(data: bytes, filename: str, tmp_path):
    path = tmp_path / filename
    path.write_bytes(data)
    return pyogrio.read_dataframe(path)


def _same_geometry(got, want, tolerance=1e-6) -> bool:
    """Same vertices in the same order (a Polygon promoted to a one-part MultiPolygon counts)."""
    got, want = np.asarray(got), np.asarray(want)
    return (np.array_equal(shapely.get_num_coordinates(got), shapely.get_num_coordinates(want))
            and np.allclose(shapely.get_coordinates(got), shapely.get_coordinates(want),
                            atol=tolerance, rtol=0))


def _assert_same_layer(got, want, *, shapefile=False):
    """Same features, same attributes (Chinese text included), same geometry to ~1 cm."""
    assert list(got["id"].astype(str)) == list(want["id"])
    for col in want.columns.drop(["id", "geometry"]):
        if pd.api.types.is_numeric_dtype(want[col]):
            values = pd.to_numeric(got[col].replace("", np.nan))
            assert np.allclose(values, want[col].astype(float), equal_nan=True), col
        else:
            expected = want[col].fillna("")
            if shapefile:
                expected = expected.map(truncate_utf8)
            assert list(got[col].fillna("")) == list(expected), col
    has = want.geometry.notna().to_numpy()
    assert _same_geometry(got.geometry.to_numpy()[has], want.geometry.to_numpy()[has])


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "csv", "kml"])
@pytest.mark.parametrize("name", THEMATIC)
def test_download_round_trip_in_cgcs2000(client, data_dir, tmp_path, name, fmt):
    r = client.get(f"/api/layers/{name}?format={fmt}")
    assert r.status_code == 200
    assert r.mimetype == FORMATS[fmt].mimetype.split(";")[0]
    filename = f"{name}_EPSG4490{FORMATS[fmt].extension}"
    assert f'filename={filename}' in r.headers["Content-Disposition"]
    got = _read(r.data, filename, tmp_path)
    if fmt == "csv":
        got = got.set_crs(4490)
    _assert_same_layer(got, Catalog(data_dir).layer(name), shapefile=fmt == "shp")


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "csv"])
@pytest.mark.parametrize("crs", [4547, 4526, 4546, 4548, 4326])
def test_download_in_other_crs_reprojects(client, data_dir, tmp_path, fmt, crs):
    r = client.get(f"/api/layers/zones?format={fmt}&crs=EPSG:{crs}")
    assert r.status_code == 200
    got = _read(r.data, f"zones_EPSG{crs}{FORMATS[fmt].extension}", tmp_path)
    if fmt == "csv":
        got = got.set_crs(crs)
    assert got.crs.to_epsg() == crs
    want = Catalog(data_dir).layer("zones")
    has = want.geometry.notna().to_numpy()
    back = got.to_crs(4490).geometry.to_numpy()[has]
    assert (shapely.hausdorff_distance(back, want.geometry.to_numpy()[has]) < 1e-6).all()
    assert list(got["name_zh"]) == list(want["name_zh"])


def test_boundaries_download_full_detail_per_level(client, data_dir, tmp_path):
    r = client.get("/api/layers/boundaries?format=gpkg&level=county")
    got = _read(r.data, "boundaries_county_EPSG4490.gpkg", tmp_path)
    want = layer_frame(Catalog(data_dir), "boundaries", level="county")
    assert len(got) == 157 and list(got["adcode"]) == list(want["adcode"])
    assert _same_geometry(got.geometry, want.geometry, tolerance=1e-9)
    every = client.get("/api/layers/boundaries?format=geojson&level=")
    assert set(_read(every.data, "all.geojson", tmp_path)["level"]) == {"province", "city", "county"}


def test_shapefile_download_keeps_long_texts_beside_it(client, data_dir):
    r = client.get("/api/layers/foxconn?format=shp&crs=4547")
    zf = zipfile.ZipFile(io.BytesIO(r.data))
    assert {"foxconn_EPSG4547.prj", "foxconn_EPSG4547.cpg", "README.txt",
            "foxconn_EPSG4547_fulltext.csv"} <= set(zf.namelist())
    readme = zf.read("README.txt").decode("utf-8-sig")
    assert "富士康合作项目" in readme and "254" in readme and "sourced" in readme
    full = pd.read_csv(io.BytesIO(zf.read("foxconn_EPSG4547_fulltext.csv")), encoding="utf-8-sig")
    want = Catalog(data_dir).layer("foxconn").set_index("id")
    for _, row in full.iterrows():
        assert row["source"] == want.loc[row["id"], "source"]


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_a_download_is_streamed_from_a_temporary_file_removed_when_the_response_closes(
        client, own_tempdir, fmt):
    r = client.get(f"/api/layers/zones?format={fmt}")
    [file] = own_tempdir.iterdir()  # the finished file alone: its work folder is gone
    assert r.status_code == 200 and file.name.startswith(DOWNLOAD_PREFIX)
    assert int(r.headers["Content-Length"]) == file.stat().st_size
    assert r.get_data() == file.read_bytes()
    r.close()  # as the WSGI server does once the body is sent
    assert list(own_tempdir.iterdir()) == []
    buffered = client.get(f"/api/layers/zones?format={fmt}", buffered=True)  # read and closed
    assert buffered.status_code == 200 and buffered.data[:2] in (b"SQ", b"PK")
    assert list(own_tempdir.iterdir()) == []


@pytest.mark.parametrize("encoding", ["identity", "gzip", "deflate"])
def test_no_hook_reads_a_download_into_memory(client, monkeypatch, encoding):
    """The request log and compression see the body as a stream, never turn it into bytes."""
    def read_whole(response):
        raise AssertionError("the download was read into memory")

    monkeypatch.setattr(flask.Response, "make_sequence", read_whole)
    with client.get("/api/layers/parks?format=csv", headers={"Accept-Encoding": encoding}) as r:
        assert r.status_code == 200 and b"".join(r.response)  # read as a server reads it


def test_a_compressed_download_removes_its_file_too(client, own_tempdir):
    r = client.get("/api/layers/parks?format=csv", headers={"Accept-Encoding": "deflate"})
    assert r.headers["Content-Encoding"] == "deflate"  # compressed as it streams (flask-compress)
    assert zlib.decompress(r.get_data()).startswith(b"\xef\xbb\xbf")
    r.close()
    assert list(own_tempdir.iterdir()) == []


def test_a_head_request_removes_its_file(client, own_tempdir):
    r = client.head("/api/layers/parks?format=gpkg")
    assert r.status_code == 200 and int(r.headers["Content-Length"]) > 0 and r.get_data() == b""
    r.close()
    assert list(own_tempdir.iterdir()) == []


@pytest.mark.parametrize("query", ["format=dwg", "format=gpkg&crs=3857", "format=kml&crs=4547",
                                   "format=gpkg&level=city", "format=gpkg&tolerance=-1"])
def test_a_refused_download_leaves_nothing_behind(client, own_tempdir, query):
    with client.get(f"/api/layers/parks?{query}") as r:
        assert r.status_code == 400
    assert list(own_tempdir.iterdir()) == []


def test_layer_list_says_how_to_download(client):
    download = client.get("/api/layers").json["download"]
    assert download["formats"] == list(FORMATS) and download["crs"] == list(DOWNLOAD_EPSG)
    assert client.get(download["example"]).status_code == 200


def test_csv_download_opens_in_excel(client):
    r = client.get("/api/layers/projects?format=csv")
    assert r.data.startswith(b"\xef\xbb\xbf")
    assert "郑州市".encode() in r.data


def test_without_format_the_route_still_returns_the_map_geojson(client):
    r = client.get("/api/layers/parks")
    assert r.mimetype == "application/geo+json" and "Content-Disposition" not in r.headers
    assert r.get_json(force=True)["data_version"]


@pytest.mark.parametrize("query,accepted", [
    ("format=dwg", list(FORMATS)),
    ("format=gpkg&crs=3857", [str(code) for code in DOWNLOAD_EPSG]),
    ("format=kml&crs=4547", ["4326", "4490"]),
    ("crs=4547", list(FORMATS)),
])
def test_bad_format_or_crs_is_400_naming_accepted_values(client, query, accepted):
    r = client.get(f"/api/layers/parks?{query}")
    assert r.status_code == 400
    assert r.json["message_zh"] and all(value in r.json["message_en"] for value in accepted)


def test_level_on_a_layer_without_levels_is_400(client):
    assert client.get("/api/layers/parks?format=gpkg&level=city").status_code == 400
    assert client.get("/api/layers/nope?format=gpkg").status_code == 404


def test_data_page_offers_every_layer_format_and_crs(client):
    html = client.get("/data/").get_data(as_text=True)
    for name in LAYERS:
        assert f'action="/api/layers/{name}"' in html
    for key in FORMATS:
        assert f'<option value="{key}">' in html
    for code in DOWNLOAD_EPSG:
        assert f'value="{code}"' in html
    assert "9个候选" in html  # the 16-parks caveat travels with the data
    assert 'href="/data/"' in client.get("/").get_data(as_text=True)  # in the navigation
    assert "Data downloads" in client.get("/data/?lang=en").get_data(as_text=True)


def test_cli_list_and_export(runner, data_dir, tmp_path):
    listed = runner.invoke(args=["layer", "list"])
    assert listed.exit_code == 0
    for name in LAYERS:
        assert name in listed.output
    out = tmp_path / "parks.gpkg"
    done = runner.invoke(args=["layer", "export", "parks", "--format", "gpkg", "--crs", "4547",
                               "-o", str(out)])
    assert done.exit_code == 0, done.output
    got = pyogrio.read_dataframe(out)
    assert got.crs.to_epsg() == 4547
    assert list(got["name_zh"]) == list(Catalog(data_dir).layer("parks")["name_zh"])


def test_cli_export_to_standard_output_gives_the_file(runner, tmp_path, own_tempdir):
    out = tmp_path / "projects.csv"
    export = ["layer", "export", "projects", "--format", "csv", "-o"]
    assert runner.invoke(args=[*export, str(out)]).exit_code == 0
    piped = runner.invoke(args=[*export, "-"])
    assert piped.exit_code == 0 and piped.stdout_bytes == out.read_bytes()
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(own_tempdir.iterdir()) == []


@pytest.mark.parametrize("args,word", [
    (["layer", "export", "parks", "--format", "dwg"], "gpkg"),
    (["layer", "export", "parks", "--crs", "3857"], "4547"),
    (["layer", "export", "nowhere"], "parks"),
    (["layer", "export-all", "--format", "kml", "--crs", "4547"], "4326"),
])
def test_cli_bad_input_exits_non_zero_with_bilingual_message(runner, tmp_path, args, word):
    out = tmp_path / "out"
    result = runner.invoke(args=[*args, *(["-o", str(out)] if "export-all" not in args
                                          else ["--out", str(out)])])
    assert result.exit_code == 2
    assert word in result.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)  # the Chinese half
    assert not out.exists()  # nothing written


def test_cli_export_all_writes_one_file_per_layer_and_level(runner, tmp_path):
    result = runner.invoke(args=["layer", "export-all", "--format", "shp", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.glob("*.zip"))
    assert names == sorted([f"{n}_EPSG4490.zip" for n in THEMATIC]
                           + [f"boundaries_{lv}_EPSG4490.zip" for lv in ("province", "city", "county")])


def test_downloads_and_api_answers_never_set_the_language_cookie(client):
    for url in ("/api/layers/parks?format=csv&lang=en", "/api/layers?lang=en", "/api/plan?lang=en"):
        r = client.get(url)
        assert r.status_code == 200 and not r.headers.getlist("Set-Cookie"), url
    assert "数据下载" in client.get("/data/").get_data(as_text=True)  # the pages stay Chinese
    r = client.get("/data/?lang=en")
    assert any(c.startswith("lang=en;") for c in r.headers.getlist("Set-Cookie"))


def test_cli_export_all_writes_each_file_as_it_is_made(runner, tmp_path, own_tempdir, monkeypatch):
    def refuse_projects(cat, name, *args, **kwargs):
        if name == "projects":
            raise UserError("图层文件已损坏。", "The layer file is damaged.", code="damaged")
        return download_layer(cat, name, *args, **kwargs)

    monkeypatch.setattr("web.data.download_layer", refuse_projects)
    result = runner.invoke(args=["layer", "export-all", "--format", "csv", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "damaged" in result.stderr
    before = [tmp_path / "out" / f"{name}_EPSG4490.csv" for name in ("parks", "zones", "foxconn")]
    assert sorted((tmp_path / "out").iterdir()) == sorted(before)  # the layers before it, written
    assert result.stdout.split() == [str(path) for path in before]
    assert list(own_tempdir.iterdir()) == []
