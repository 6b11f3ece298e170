"""web.quota over HTTP: real files of every kind through POST /api/quota/check and the pages, the
verdicts and areas against pyproj.Geod, every kind of bad input, decisions, reports, audit."""

import csv
import io

import geopandas as gpd
import pytest
import shapely
from fixtures_files import (
    GBK_NAMES,
    damage_record,
    make_geojson,
    make_gpkg,
    make_jzd_txt,
    make_kml,
    make_shapefile,
    make_zip_bomb,
    make_zip_slip,
    make_zipped_shapefile,
    parcels_gdf,
    rect_m,
    twisted_parcel,
    zip_folder,
)
from pypdf import PdfReader
from pyproj import Geod

GEOD = Geod(ellps="GRS80")
PARK01 = (113.846, 34.549)  # three 6-ha parcels from here lie inside park-01's schematic circle
PARK08 = (113.56, 34.81)  # park-08 (郑州高新区) lies inside zone-01 (30 km²) with the same centre


def geod_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def upload(client, path, name=None, **form):
    with open(path, "rb") as f:
        return client.post("/api/quota/check", data={"file": (f, name or path.name), **form},
                           content_type="multipart/form-data")


@pytest.fixture
def clerk(sign_in):
    return sign_in("land_staff", username="clerk")


@pytest.fixture
def three_parcels():
    return parcels_gdf(3, lon=PARK01[0], lat=PARK01[1])


def assert_areas_match(parcels, gdf):
    """Each parcel's ellipsoidal area within 0.01 % of pyproj.Geod; GK planar area exact."""
    assert len(parcels) == len(gdf)
    for p, geom in zip(parcels, gdf.geometry, strict=True):
        assert p["area_m2"] == pytest.approx(geod_m2(geom), rel=1e-4)
        # 公顷 and 亩 at survey precision (4 and 2 decimals)
        assert p["area_ha"] == pytest.approx(p["area_m2"] / 10_000, abs=5e-5)
        assert p["area_mu"] == pytest.approx(p["area_m2"] / (10_000 / 15), abs=5e-3)
        assert p["gk_area_m2"] == pytest.approx(60_000, rel=1e-6)  # laid out as 300 m × 200 m
        assert p["gk_epsg"] == 4547


def test_gbk_shapefile_without_cpg_in_zone_prefixed_gk(client, clerk, tmp_path, three_parcels):
    path = make_zipped_shapefile(tmp_path, three_parcels, crs=4526, encoding="GBK", cpg=False)
    r = upload(client, path, "地块成果.zip")
    assert r.status_code == 201, r.json
    body = r.json
    assert body["meta"]["encoding"].lower() in ("gbk", "gb18030")
    assert body["meta"]["name_preview"][:3] == GBK_NAMES[:3]
    assert body["meta"]["source_epsg"] == 4526 and body["meta"]["crs_how"] == "file"
    parcels = body["parcels"]
    assert [p["label"] for p in parcels] == GBK_NAMES[:3]
    assert_areas_match(parcels, three_parcels)
    assert {p["area_id"] for p in parcels} == {"park-01"}
    # The shipped park footprints are schematic: never a plain 符合.
    assert body["verdict"] == "review"
    assert all(any("示意" in reason["zh"] for reason in p["reasons"]) for p in parcels)
    first, second = parcels[0], parcels[1]
    assert first["quota_m2"] == pytest.approx(937_500) and first["quota_basis"] == "derived"
    assert first["before_ha"] == pytest.approx(93.75)
    assert second["before_m2"] == pytest.approx(first["after_m2"])
    assert body["totals"]["parcels"] == 3
    assert body["totals"]["area_m2"] == pytest.approx(sum(p["area_m2"] for p in parcels))


def test_shapefile_in_gk_zone_without_prefix_with_prj(client, clerk, tmp_path, three_parcels):
    path = make_zipped_shapefile(tmp_path, three_parcels, crs=4547, subfolder="成果/地块")
    body = upload(client, path).json
    assert body["meta"]["source_epsg"] == 4547
    assert_areas_match(body["parcels"], three_parcels)


def test_zone_prefixed_jzd_text_file(client, clerk, tmp_path, three_parcels):
    path = make_jzd_txt(tmp_path, three_parcels, epsg=4526)
    body = upload(client, path).json
    assert body["meta"]["format"] == "jzd"
    assert body["meta"]["source_epsg"] == 4526
    assert_areas_match(body["parcels"], three_parcels)
    assert [p["label"] for p in body["parcels"]] == GBK_NAMES[:3]


@pytest.mark.parametrize("maker, name", [(make_gpkg, "parcels.gpkg"), (make_geojson, "parcels.geojson"),
                                         (make_kml, "parcels.kml")])
def test_gpkg_geojson_and_kml(client, clerk, tmp_path, three_parcels, maker, name):
    body = upload(client, maker(tmp_path, three_parcels)).json
    assert body["filename"] == name
    assert_areas_match(body["parcels"], three_parcels)
    assert body["verdict"] == "review"


def test_park_inside_zone_and_zone_without_quota(client, clerk, tmp_path):
    in_park = rect_m(*PARK08, 100, 100)
    in_zone = rect_m(*PARK08, 100, 100, dx_m=2_000)
    gdf = gpd.GeoDataFrame({"name": ["园区内", "高新区内"]}, geometry=[in_park, in_zone], crs=4490)
    parcels = upload(client, make_geojson(tmp_path, gdf)).json["parcels"]
    assert [p["area_id"] for p in parcels] == ["park-08", "zone-01"]
    assert parcels[1]["quota_m2"] is None and parcels[1]["verdict"] == "review"
    assert any("尚无用地指标" in reason["zh"] for reason in parcels[1]["reasons"])


def test_declared_park_and_parcel_outside_every_area(client, clerk, tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["一号", "野外"]},
                           geometry=[rect_m(*PARK01, 100, 100), rect_m(114.9, 33.6, 100, 100)], crs=4490)
    body = upload(client, make_geojson(tmp_path, gdf), park="park-08").json
    assert body["verdict"] == "fail"
    first, second = body["parcels"]
    assert first["area_id"] == "park-01" and first["verdict"] == "fail"
    assert any("申报" in reason["zh"] for reason in first["reasons"])
    assert second["area_id"] is None
    assert second["outside_m2"] == pytest.approx(second["area_m2"])


def test_repaired_ring_is_noted(client, clerk, tmp_path):
    twisted = twisted_parcel(lobe_m=2, lon=PARK01[0], lat=PARK01[1])
    gdf = gpd.GeoDataFrame({"name": ["自相交"]}, geometry=[twisted], crs=4490)
    body = upload(client, make_geojson(tmp_path, gdf)).json
    assert any("修复" in note["zh"] for note in body["notes"])
    assert body["parcels"][0]["area_m2"] > 0


def test_many_parcels_one_row_each_plus_totals(client, clerk, tmp_path):
    geoms = [rect_m(*PARK01, 40, 40, dx_m=(i % 10) * 50, dy_m=(i // 10) * 50) for i in range(60)]
    gdf = gpd.GeoDataFrame({"name": [f"DK{i:03d}" for i in range(60)]}, geometry=geoms, crs=4490)
    r = upload(client, make_geojson(tmp_path, gdf))
    body = r.json
    assert len(body["parcels"]) == 60
    assert body["totals"]["area_m2"] == pytest.approx(sum(geod_m2(g) for g in geoms), rel=1e-4)
    csv_rows = list(csv.reader(io.StringIO(client.get(body["links"]["csv"]).data.decode("utf-8-sig"))))
    assert len(csv_rows) == 1 + 60 + 1
    assert csv_rows[-1][0].startswith("合计")


# ----- bad input: a 4xx a clerk can act on, in both languages, and nothing written ----------

def _counts(client):
    audit = client.get("/api/quota/audit").json["entries"]
    return len(audit), audit[0]["id"] if audit else 0


def _bad_files(tmp_path):
    points = gpd.GeoDataFrame({"name": ["点"]}, geometry=[shapely.Point(*PARK01)], crs=4490)
    shanghai = shapely.box(121.4, 31.2, 121.401, 31.201)
    outside = gpd.GeoDataFrame({"name": ["上海"]}, geometry=[shanghai], crs=4490)
    twisted = gpd.GeoDataFrame({"name": ["坏"]}, geometry=[twisted_parcel(lobe_m=30)], crs=4490)
    strip = shapely.LineString([(112.37, 34.64), (112.45, 34.62)]).buffer(0.001)  # park-06 → park-04
    straddle = gpd.GeoDataFrame({"name": ["跨园区"]}, geometry=[strip], crs=4490)
    unknown = tmp_path / "parcels.dwg"
    unknown.write_bytes(b"AC1027" + b"\x00" * 100)
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    g = parcels_gdf(2, lon=PARK01[0], lat=PARK01[1])
    return {
        "unknown_format": unknown,
        "missing_part": make_zipped_shapefile(tmp_path, g, drop=(".dbf",), zip_name="nodbf.zip"),
        "empty": empty,
        "no_polygons": make_geojson(tmp_path, points, name="points.geojson"),
        "crs_ambiguous": make_zipped_shapefile(tmp_path, g, crs=4547, prj=False, zip_name="noprj.zip"),
        "outside_henan": make_geojson(tmp_path, outside, name="shanghai.geojson"),
        "invalid_geometry": make_geojson(tmp_path, twisted, name="twisted.geojson"),
        "zip_slip": make_zip_slip(tmp_path),
        "zip_bomb": make_zip_bomb(tmp_path, expanded_mb=300),
        "straddles_parks": make_geojson(tmp_path, straddle, name="straddle.geojson"),
    }


def test_every_kind_of_bad_input_is_refused_and_nothing_is_written(client, clerk, tmp_path):
    before = _counts(client)
    for code, path in _bad_files(tmp_path).items():
        r = upload(client, path)
        assert 400 <= r.status_code < 500, (code, r.status_code)
        assert r.json["error"] == code, (code, r.json)
        assert r.json["message_zh"] and r.json["message_en"], code
    assert _counts(client) == before
    assert client.get("/quota/check").get_data(as_text=True).count('href="/quota/checks/') == 0


def test_ambiguous_crs_is_asked_for_on_the_page(client, clerk, tmp_path, three_parcels):
    path = make_zipped_shapefile(tmp_path, three_parcels, crs=4547, prj=False)
    with open(path, "rb") as f:
        r = client.post("/quota/check", data={"file": (f, "地块.zip")}, content_type="multipart/form-data")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="crs-candidates"' in page and 'value="4547"' in page
    with open(path, "rb") as f:
        r = client.post("/quota/check", data={"file": (f, "地块.zip"), "crs": "4547"},
                        content_type="multipart/form-data")
    assert r.status_code == 303
    assert client.get(r.headers["Location"]).status_code == 200


def test_missing_file_and_bad_parameters(client, clerk):
    r = client.post("/api/quota/check", data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and r.json["error"] == "no_file"
    r = client.get("/api/quota/ledger?year=13")
    assert r.status_code == 400 and r.json["error"] == "bad_parameter"


def test_upload_over_the_limit_is_413(app, client, clerk, tmp_path, three_parcels):
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    r = upload(client, make_gpkg(tmp_path, three_parcels))
    assert r.status_code == 413
    assert r.json["message_zh"] and r.json["message_en"]


# ----- pages, reports, decisions, audit ---------------------------------------------------

def test_verdict_page_map_and_reports(client, clerk, tmp_path, three_parcels):
    path = make_zipped_shapefile(tmp_path, three_parcels, crs=4526, encoding="GBK", cpg=False)
    with open(path, "rb") as f:
        r = client.post("/quota/check", data={"file": (f, "地块.zip")}, content_type="multipart/form-data")
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "需人工复核" in page and "示意" in page
    assert GBK_NAMES[0] in page and "EPSG:4526" in page
    assert "/vendor/leaflet/leaflet.js" in page
    assert "cdn.jsdelivr" not in page and "code.jquery" not in page and "https://" not in page

    check_url = r.headers["Location"]
    pdf = client.get(f"{check_url}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "地块用地指标核查报告" in text and GBK_NAMES[0] in text and "需人工复核" in text
    fonts = {str(f.get_object()["/BaseFont"])
             for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert any("NotoSansCJK" in f for f in fonts)

    report = client.get(f"{check_url}/report.csv")
    assert report.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(report.data.decode("utf-8-sig"))))
    assert list(rows[0])[:2] == ["序号 No.", "地块名称 Parcel"] and len(rows) == 4
    assert rows[0]["地块名称 Parcel"] == GBK_NAMES[0]
    assert float(rows[0]["椭球面积(公顷) Ellipsoidal (ha)"]) == pytest.approx(
        geod_m2(three_parcels.geometry[0]) / 10_000, abs=1e-4)
    assert client.get(f"{check_url}/report.docx").status_code == 400


def test_english_pages(client, clerk):
    page = client.get("/quota/?lang=en").get_data(as_text=True)
    assert "Land-use quota ledger" in page and "derived" in page
    assert "93.75" in page and "1,406.25" in page


def test_reserve_approve_release_through_the_api(client, clerk, tmp_path, three_parcels):
    body = upload(client, make_gpkg(tmp_path, three_parcels)).json
    check_id, area = body["check_id"], body["parcels"][0]["area_m2"]
    r = client.post("/api/quota/reserve", json={"check_id": check_id, "parcel_no": 1, "reason": "园区申请"})
    assert r.status_code == 201, r.json
    alloc = r.json
    assert alloc["status"] == "reserved" and alloc["area_m2"] == pytest.approx(area)
    again = client.post("/api/quota/reserve", json={"check_id": check_id, "parcel_no": 1, "reason": "x"})
    assert again.status_code == 409 and again.json["error"] == "already_reserved"
    no_reason = client.post("/api/quota/reserve", json={"check_id": check_id, "parcel_no": 2})
    assert no_reason.status_code == 400 and no_reason.json["error"] == "reason_required"

    ledger = {a["area_id"]: a for a in client.get("/api/quota/ledger").json["areas"]}
    assert ledger["park-01"]["reserved_m2"] == pytest.approx(area)
    assert ledger["park-01"]["remaining_ha"] == pytest.approx(93.75 - area / 10_000)

    # The same file checked again now overlaps the reserved parcel.
    recheck = upload(client, make_gpkg(tmp_path, three_parcels, name="again.gpkg")).json
    assert recheck["parcels"][0]["verdict"] == "fail"
    assert recheck["parcels"][0]["overlap_ids"] == [alloc["id"]]

    base = f"/api/quota/allocations/{alloc['id']}"
    assert client.post(f"{base}/approve", json={"reason": "批复"}).json["status"] == "approved"
    assert client.post(f"{base}/release", json={"reason": "撤销"}).json["status"] == "released"
    ledger = {a["area_id"]: a for a in client.get("/api/quota/ledger").json["areas"]}
    assert ledger["park-01"]["remaining_m2"] == pytest.approx(937_500)
    actions = [e["action"] for e in client.get("/api/quota/audit").json["entries"]]
    assert actions[:4] == ["parcel.release", "parcel.approve", "check.run", "parcel.reserve"]


def test_decisions_from_the_pages(client, clerk, tmp_path, three_parcels):
    check_id = upload(client, make_gpkg(tmp_path, three_parcels)).json["check_id"]
    r = client.post(f"/quota/checks/{check_id}/parcels/2/reserve", data={"reason": "管委会申请"})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已保存" in page and "已预留" in page
    area_page = client.get("/quota/areas/park-01").get_data(as_text=True)
    assert GBK_NAMES[1] in area_page
    # A refused change comes back as a message on the same page, and changes nothing.
    r = client.post("/quota/areas/park-01/quota", data={"value": "1", "unit": "ha", "reason": "调减"})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "不能低于" in page
    r = client.post("/quota/areas/park-01/quota", data={"value": "2000", "unit": "mu", "reason": "省厅下达"})
    ledger = {a["area_id"]: a for a in client.get("/api/quota/ledger").json["areas"]}
    assert ledger["park-01"]["quota_mu"] == pytest.approx(2000)
    assert ledger["park-01"]["basis"] == "user"


def test_audit_page_and_csv(client, clerk, tmp_path, three_parcels):
    upload(client, make_gpkg(tmp_path, three_parcels))
    client.post("/api/quota/areas/zone-05/quota", json={"quota_ha": 20, "reason": "新乡高新区下达"})
    page = client.get("/quota/audit").get_data(as_text=True)
    assert "quota.edit" in page and "新乡高新区下达" in page and "check.run" in page
    body = client.get("/quota/audit.csv?action=quota.edit").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["target"] for r in rows] == ["zone-05@2013"]
    assert rows[0]["actor"] == "clerk" and rows[0]["reason"] == "新乡高新区下达"


def test_viewer_can_check_but_sees_no_decision_forms(client, sign_in, tmp_path, three_parcels):
    sign_in("viewer")
    r = upload(client, make_gpkg(tmp_path, three_parcels))
    assert r.status_code == 201
    page = client.get(r.json["links"]["page"]).get_data(as_text=True)
    assert "预留指标" not in page
    r = client.post(f"/quota/checks/{r.json['check_id']}/parcels/1/reserve", data={"reason": "x"})
    assert r.status_code == 403
    assert client.get("/quota/audit").status_code == 403


@pytest.mark.parametrize("method, url, body", [
    ("post", "/api/quota/reserve", {"check_id": -10**25, "parcel_no": 1, "reason": "x"}),
    ("post", "/api/quota/reserve", {"check_id": 10**25, "parcel_no": 1, "reason": "x"}),
    ("post", "/api/quota/allocations/99999999999999999999/approve", {"reason": "x"}),
    ("get", "/api/quota/checks/99999999999999999999", None),
    ("post", "/api/quota/areas/nowhere/quota", {"quota_ha": 1, "reason": "x"}),
])
def test_unknown_ids_are_404(client, clerk, method, url, body):
    r = getattr(client, method)(url, json=body)
    assert r.status_code == 404, r.json
    assert r.json["message_zh"] and r.json["message_en"]


@pytest.mark.parametrize("body", [[1, 2], {"quota_ha": [1], "reason": "x"},
                                  {"quota_ha": 1, "reason": {"a": 1}}, {"quota_ha": "abc", "reason": "x"},
                                  {"quota_ha": -1, "reason": "x"}, {"quota_ha": "1e400", "reason": "x"},
                                  {"quota_mu": 1e308, "reason": "x"}])
def test_malformed_json_bodies_are_400(client, clerk, body):
    r = client.post("/api/quota/areas/zone-01/quota", json=body)
    assert r.status_code == 400, r.json
    assert r.json["error"] in ("bad_quota", "reason_required")


def test_a_huge_reason_is_refused_and_nothing_changes(client, clerk):
    """Issue 11, finding 7: a 40 MB audit reason was accepted."""
    from web.input_guards import MAX_TEXT_CHARS

    before = client.get("/api/quota/audit").json["entries"]
    r = client.post("/api/quota/areas/zone-01/quota", json={"quota_ha": 5, "reason": "x" * 40_000_000})
    assert r.status_code == 400 and r.json["error"] == "text_too_long"
    assert str(MAX_TEXT_CHARS) in r.json["message_zh"] and str(MAX_TEXT_CHARS) in r.json["message_en"]
    page = client.post("/quota/areas/zone-01/quota",
                       data={"value": "5", "unit": "ha", "reason": "x" * (MAX_TEXT_CHARS + 1)})
    assert page.status_code == 400 and "characters" in page.get_data(as_text=True)
    assert client.get("/api/quota/audit").json["entries"] == before
    ok = client.post("/api/quota/areas/zone-01/quota", json={"quota_ha": 5, "reason": "理" * MAX_TEXT_CHARS})
    assert ok.status_code == 200


def test_report_language_comes_from_the_link_not_the_cookie(client, clerk, tmp_path, three_parcels):
    check_url = upload(client, make_gpkg(tmp_path, three_parcels)).json["links"]["page"]
    client.set_cookie("lang", "en")  # the pages are English…
    page = client.get(check_url).get_data(as_text=True)
    assert f'href="{check_url}/report.pdf?lang=en"' in page  # …so the page's PDF link asks for English

    def title(query: str) -> str:
        pdf = client.get(f"{check_url}/report.pdf{query}").data
        return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    assert "Parcel land-use quota check" in title("?lang=en")
    assert "地块用地指标核查报告" in title("")  # no language asked: the default, not the cookie
    report = client.get(f"{check_url}/report.csv")
    assert report.headers["Content-Disposition"].startswith("attachment; filename=parcel-check-")


def test_a_damaged_record_is_reported_and_the_check_cannot_pass(client, clerk, tmp_path):
    """A record whose bounding box is damaged is named, by number and reason, in the verdict
    page, the API answer, the CSV and the PDF, and the check reads 'not compliant'."""
    folder = tmp_path / "parts"
    shp = make_shapefile(folder, parcels_gdf(3, lon=PARK01[0], lat=PARK01[1]), crs=4526)
    damage_record(shp, 2, "bbox")
    path = zip_folder(folder, tmp_path / "damaged.zip")
    answer = upload(client, path).get_json()
    assert answer["verdict"] == "fail" and [p["no"] for p in answer["parcels"]] == [1, 2]
    assert [u["row"] for u in answer["unreadable"]] == [2]
    assert answer["totals"]["unreadable"] == 1

    with open(path, "rb") as f:
        r = client.post("/quota/check", data={"file": (f, "damaged.zip")}, content_type="multipart/form-data")
    check_url = r.headers["Location"]
    page = client.get(check_url).get_data(as_text=True)
    assert 'id="unreadable"' in page and "文件第 2 条记录无法读取" in page and "不符合" in page
    rows = list(csv.reader(io.StringIO(client.get(f"{check_url}/report.csv").data.decode("utf-8-sig"))))
    assert any("Record 2 of the file could not be read" in cell for row in rows for cell in row)
    assert "不符合" in rows[-1][-2]
    pdf = PdfReader(io.BytesIO(client.get(f"{check_url}/report.pdf").data))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "文件第 2 条记录无法读取" in text.replace("\n", "")


def test_a_long_file_name_is_refused_not_a_500(client, clerk, tmp_path, three_parcels):
    """Issue 11, finding 7: on PostgreSQL a name past the column's 255 characters was a 500."""
    path = make_geojson(tmp_path, three_parcels)
    r = upload(client, path, name="地" * 300 + ".geojson")
    assert r.status_code == 400 and r.json["error"] == "file_name_too_long"
    assert upload(client, path, name="地" * 247 + ".geojson").status_code == 201
