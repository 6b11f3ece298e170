"""Escaping everywhere (issue 11, finding 3): a name with markup, from an imported layer or an
uploaded file, reaches every map tooltip, popup and label as text, never as HTML; and a
spreadsheet never runs a cell of a report or a download as a formula."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fixtures_files import make_geojson, parcels_gdf

from core.spreadsheet import safe_cell
from parks.catalog import Catalog
from store import layer_versions as lv

HOSTILE = '<img src=x onerror=alert(1)><b class="pwn">x</b>'
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&lt;b class=&quot;pwn&quot;&gt;x&lt;/b&gt;"
PARK01 = (113.846, 34.549)
#: GeoJSON properties that Leaflet or Folium put into the page as HTML
HTML_FIELDS = re.compile(r'"(tip|label|popup)":\s*"((?:[^"\\]|\\.)*)"')


def html_fields(page: str) -> list[str]:
    """Every tooltip, label and popup text of the maps of ``page``, as the browser gets it."""
    return [json.loads(f'"{raw}"') for _, raw in HTML_FIELDS.findall(page)]


def assert_escaped(page: str) -> None:
    fields = html_fields(page)
    assert fields, "no map fields found"
    raw = [f for f in fields if "<img" in f or "<b " in f]
    assert raw == [], raw[:3]
    assert any(ESCAPED in f for f in fields)


def serve_hostile(data_dir, layer: str) -> None:
    gdf = Catalog(data_dir).layer(layer).drop(columns=["evidence", "source", "prec_note"])
    gdf["name_zh"] = HOSTILE
    gdf["name_en"] = HOSTILE
    lv.switch(data_dir, layer, lv.write_version(data_dir, layer, gdf, {"origin": "test"}))


@pytest.mark.parametrize(("layer", "path"), [
    ("parks", "/"), ("parks", "/?lang=en"), ("parks", "/parks/park-01"), ("parks", "/views/built-up"),
    ("clusters", "/views/revenue?level=cluster"), ("parks", "/views/investment"), ("projects", "/"),
])
def test_map_tooltips_labels_and_popups_hold_names_as_text(client, data_dir, layer, path):
    serve_hostile(data_dir, layer)
    r = client.get(path)
    assert r.status_code == 200, path
    assert_escaped(r.get_data(as_text=True))


def test_verdict_map_holds_parcel_and_park_names_as_text(client, data_dir, sign_in, tmp_path):
    serve_hostile(data_dir, "parks")
    sign_in("land_staff")
    path = make_geojson(tmp_path, parcels_gdf(2, lon=PARK01[0], lat=PARK01[1], names=[HOSTILE] * 2))
    with open(path, "rb") as f:
        r = client.post("/quota/check", data={"file": (f, "p.geojson")}, content_type="multipart/form-data")
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    tips = html_fields(page)
    assert any(ESCAPED in t and t.startswith("1. ") for t in tips)  # the parcel
    assert any(t == f"候选园区“{ESCAPED}”" for t in tips)  # the (candidate) park it lies in
    assert_escaped(page)


def test_import_preview_map_holds_names_as_text(client, sign_in, tmp_path):
    sign_in("admin")
    gdf = parcels_gdf(2, names=[HOSTILE] * 2).rename(columns={"name": "名称", "code": "编号"})
    with open(make_geojson(tmp_path, gdf), "rb") as f:
        r = client.post("/admin/import", data={"layer": "parks", "mode": "replace", "file": (f, "p.geojson")},
                        content_type="multipart/form-data")
    assert r.status_code == 302
    assert_escaped(client.get(r.headers["Location"]).get_data(as_text=True))


def test_ogc_html_map_binds_names_as_text(client, data_dir):
    """The OGC pages' Leaflet tooltip is given a text node, never an HTML string."""
    serve_hostile(data_dir, "parks")
    for path in ("/ogc/collections/parks/items?f=html", "/ogc/collections/parks/items/park-01?f=html"):
        page = client.get(path).get_data(as_text=True)
        assert "bindTooltip(String(" not in page
        assert "createTextNode" in page
        assert "<img src=x" not in page and ESCAPED.split("&gt;")[0] in page


# ----- spreadsheets -----------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(("value", "expected"), [
    (FORMULA, "'" + FORMULA), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("郑州", "郑州"), ("-3.25", "-3.25"), ("+86", "+86"),
    ("", ""), (None, None), (-3.25, -3.25), (7, 7),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_audit_csv_neutralises_formulas(client, sign_in):
    sign_in("land_staff")
    r = client.post("/api/quota/areas/zone-01/quota", json={"quota_ha": 5, "reason": FORMULA})
    assert r.status_code == 200
    rows = _csv_rows(client.get("/quota/audit.csv").data)
    assert rows[1][-1] == "'" + FORMULA
    assert client.get("/api/quota/audit").json["entries"][0]["reason"] == FORMULA  # stored as given


def test_check_report_csv_neutralises_formulas_and_keeps_numbers(client, sign_in, tmp_path):
    sign_in("land_staff")
    names = [FORMULA, "@cmd"]
    path = make_geojson(tmp_path, parcels_gdf(2, lon=PARK01[0], lat=PARK01[1], names=names))
    with open(path, "rb") as f:
        r = client.post("/api/quota/check", data={"file": (f, "p.geojson")},
                        content_type="multipart/form-data")
    assert r.status_code == 201
    rows = _csv_rows(client.get(r.json["links"]["csv"]).data)
    assert [rows[1][1], rows[2][1]] == ["'" + FORMULA, "'@cmd"]
    assert rows[1][rows[0].index("name")] == "'" + FORMULA  # the file's own column too
    assert float(rows[1][rows[0].index("椭球面积(公顷) Ellipsoidal (ha)")]) > 0  # figures stay numbers


def test_layer_download_csv_neutralises_formulas(client, data_dir):
    gdf = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    gdf["name_zh"] = FORMULA
    gdf["status_en"] = "-1+1"
    lv.switch(data_dir, "parks", lv.write_version(data_dir, "parks", gdf, {"origin": "test"}))
    with client.get("/api/layers/parks?format=csv") as r:  # closed: its temporary file removed
        rows = _csv_rows(r.data)
    header = rows[0]
    assert rows[1][header.index("name_zh")] == "'" + FORMULA
    assert rows[1][header.index("status_en")] == "'-1+1"


def test_batch_check_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    """The province-scale check writes its CSV from Arrow batches: the same rule, vectorised."""
    import pyarrow as pa
    import shapely

    from geo.arrow_stream import write_batches

    names = [FORMULA, "@cmd", "-3.25", "郑州", None]
    table = pa.table({"name": names, "m2": [1.5, -2.0, 3.0, 4.0, 5.0],
                      "geometry": [shapely.to_wkb(shapely.Point(113.6, 34.7))] * 5})
    write_batches(tmp_path / "out.csv", iter([table, table]))
    rows = _csv_rows((tmp_path / "out.csv").read_bytes())
    column = rows[0].index("name")
    assert [r[column] for r in rows[1:6]] == ["'" + FORMULA, "'@cmd", "-3.25", "郑州", ""]
    assert rows[2][rows[0].index("m2")] == "-2" and len(rows) == 11
