"""The verdict as land staff file it (issue 12, item 6), tried as a new user would: a survey-style
parcel file (BSM, DKBH, QLR 权利人, Chinese values) through the check page, then the verdict page,
the CSV, the PDF (text via pypdf) and the audit page."""

import csv
import io
import re
from datetime import datetime, timedelta

import geopandas as gpd
import pytest
from fixtures_files import make_gpkg, make_zipped_shapefile, rect_m
from pypdf import PdfReader

PARK01 = (113.846, 34.549)  # inside park-01's schematic circle (a candidate park)
PARK01_NAME = "郑州航空港区（智能终端）"
BSM = ["410184000000123", "410184000000124"]
DKBH = ["ZZ-2013-001", "ZZ-2013-002"]
QLR = ["郑州某某电子科技有限公司", "河南省某某智能终端产业园"]


@pytest.fixture
def clerk(sign_in):
    return sign_in("land_staff", username="clerk")


@pytest.fixture
def survey_parcels():
    """Two parcels as a land office delivers them: ids, owner and a stated area, no name column."""
    geoms = [rect_m(*PARK01, 123.457, 98.765), rect_m(*PARK01, 80, 60, dx_m=400)]
    return gpd.GeoDataFrame({"BSM": BSM, "DKBH": DKBH, "QLR": QLR, "TBMJ": [12193.11, 4800.0]},
                            geometry=geoms, crs=4490)


def check_on_the_page(client, path, name, **form):
    with open(path, "rb") as f:
        r = client.post("/quota/check", data={"file": (f, name), **form},
                        content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    return r.headers["Location"]


@pytest.fixture(params=["gpkg", "shp"])
def checked(request, client, clerk, tmp_path, survey_parcels):
    """The check's URL after uploading the parcels as a GeoPackage or a zipped GBK Shapefile."""
    if request.param == "gpkg":
        return check_on_the_page(client, make_gpkg(tmp_path, survey_parcels), "宗地.gpkg")
    path = make_zipped_shapefile(tmp_path, survey_parcels, crs=4526, encoding="GBK", cpg=False)
    return check_on_the_page(client, path, "宗地.zip")


def pdf_text(client, url) -> str:
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)


def beijing(utc_iso: str) -> str:
    at = datetime.fromisoformat(utc_iso.rstrip("Z")) + timedelta(hours=8)
    return f"{at:%Y-%m-%d %H:%M}"


def test_verdict_page_keeps_the_files_ids_and_owner(client, checked):
    page = client.get(checked).get_data(as_text=True)
    table = page[page.index('id="parcels"'):]
    for value in (*BSM, *DKBH, *QLR, "BSM", "DKBH", "QLR"):
        assert value in table, value


def test_csv_keeps_every_attribute_column(client, checked):
    body = client.get(f"{checked}/report.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {"BSM", "DKBH", "QLR", "TBMJ"} <= set(rows[0])
    assert [r["BSM"] for r in rows[:2]] == BSM
    assert [r["DKBH"] for r in rows[:2]] == DKBH
    assert [r["QLR"] for r in rows[:2]] == QLR
    assert rows[0]["TBMJ"] == "12193.11"


def test_a_file_column_named_like_a_result_column_keeps_both(client, clerk, tmp_path, survey_parcels):
    gdf = survey_parcels.assign(area_ha=[99.0, 99.0], verdict=["同意", "同意"])
    url = check_on_the_page(client, make_gpkg(tmp_path, gdf), "宗地.gpkg")
    rows = list(csv.DictReader(io.StringIO(client.get(f"{url}/report.csv").data.decode("utf-8-sig"))))
    assert rows[0]["area_ha"] == "99" and rows[0]["verdict"] == "同意"
    assert rows[0]["椭球面积(公顷) Ellipsoidal (ha)"] == "1.2193"  # 123.457 m × 98.765 m
    assert rows[0]["结论 Verdict"] == "需人工复核 needs manual review"


def test_pdf_keeps_ids_and_owner(client, checked):
    text = pdf_text(client, f"{checked}/report.pdf")
    for value in (*BSM, *DKBH, *QLR):
        assert value in text, value


def test_api_returns_the_attributes(client, clerk, tmp_path, survey_parcels):
    with open(make_gpkg(tmp_path, survey_parcels), "rb") as f:
        body = client.post("/api/quota/check", data={"file": (f, "宗地.gpkg")},
                           content_type="multipart/form-data").json
    first = body["parcels"][0]
    assert first["attributes"] == {"BSM": BSM[0], "DKBH": DKBH[0], "QLR": QLR[0], "TBMJ": 12193.11}
    assert first["label"] == DKBH[0]  # no name column: the parcel number names it


def test_candidate_park_is_named_as_a_candidate(client, checked):
    page = client.get(checked).get_data(as_text=True)
    table = page[page.index('id="parcels"'):]
    assert f"候选园区“{PARK01_NAME}”" in table
    text = pdf_text(client, f"{checked}/report.pdf")
    assert "候选园区" in text and PARK01_NAME in text
    csv_body = client.get(f"{checked}/report.csv").data.decode("utf-8-sig")
    assert f"候选园区“{PARK01_NAME}”" in csv_body


def test_declared_candidate_park_is_shown_by_name_not_id(client, clerk, tmp_path, survey_parcels):
    url = check_on_the_page(client, make_gpkg(tmp_path, survey_parcels), "宗地.gpkg", park="park-01")
    page = client.get(url).get_data(as_text=True)
    facts = page[page.index('class="data facts"'):page.index('id="parcels"')]
    assert f"候选园区“{PARK01_NAME}”" in facts and "park-01" not in facts
    text = pdf_text(client, f"{url}/report.pdf")
    assert "申报园区" in text and "park-01" not in text


def test_times_are_beijing_time_with_the_zone(client, checked):
    when = beijing(client.get("/api" + checked).json["created_at"])
    page = client.get(checked).get_data(as_text=True)
    assert f"{when} 北京时间 (UTC+8)" in page
    recent = client.get("/quota/check").get_data(as_text=True)
    assert "时间（北京时间 UTC+8）" in recent and f"<td>{when}</td>" in recent
    text = pdf_text(client, f"{checked}/report.pdf")
    assert f"{when} 北京时间 (UTC+8)" in text
    assert "UTC+8" in pdf_text(client, f"{checked}/report.pdf?lang=en")
    audit = client.get("/quota/audit").get_data(as_text=True)
    logged = beijing(client.get("/api/quota/audit?action=check.run").json["entries"][0]["at"])
    assert "时间（北京时间 UTC+8）" in audit and f"<td>{logged}</td>" in audit


def test_areas_at_survey_precision(client, checked):
    body = client.get(f"{checked}/report.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    m2_col = next(c for c in rows[0] if c.startswith("椭球面积(m²)"))
    ha_col = next(c for c in rows[0] if c.startswith("椭球面积(公顷)"))
    mu_col = next(c for c in rows[0] if c.startswith("椭球面积(亩)"))
    for r in rows:  # the parcels and the totals row
        assert re.fullmatch(r"\d+\.\d{2}", r[m2_col]), r[m2_col]
        assert re.fullmatch(r"\d+\.\d{4}", r[ha_col]), r[ha_col]
        assert re.fullmatch(r"\d+\.\d{2}", r[mu_col]), r[mu_col]
    page = client.get(checked).get_data(as_text=True)
    table = page[page.index('id="parcels"'):]
    m2_cells = re.findall(r"([\d,]+\.\d+) m²", table)
    assert m2_cells and all(re.fullmatch(r"[\d,]+\.\d{2}", c) for c in m2_cells), m2_cells


def test_api_areas_carry_no_float_noise(client, clerk, tmp_path, survey_parcels):
    with open(make_gpkg(tmp_path, survey_parcels), "rb") as f:
        body = client.post("/api/quota/check", data={"file": (f, "宗地.gpkg")},
                           content_type="multipart/form-data").json
    for p in body["parcels"]:
        assert p["area_m2"] == round(p["area_m2"], 2)
        assert p["area_ha"] == round(p["area_ha"], 4)
        assert p["area_mu"] == round(p["area_mu"], 2)
        assert p["before_ha"] == round(p["before_ha"], 4)
    assert body["totals"]["area_m2"] == round(body["totals"]["area_m2"], 2)


def test_pdf_has_a_map_legend_scale_bar_and_signature_block(client, checked):
    text = pdf_text(client, f"{checked}/report.pdf")
    assert "图例" in text and PARK01_NAME in text
    assert re.search(r"\b\d+ (m|km)\b", text)  # the scale bar's label
    for field in ("经办人", "审核人", "日期"):
        assert field in text, field
    english = pdf_text(client, f"{checked}/report.pdf?lang=en")
    for field in ("Legend", "Prepared by", "Reviewed by", "Date"):
        assert field in english, field


def test_audit_page_shows_chinese_not_escapes(client, checked):
    client.post("/api/quota/areas/zone-05/quota", json={"quota_ha": 20, "reason": "新乡高新区下达"})
    page = client.get("/quota/audit").get_data(as_text=True)
    assert "\\u" not in page
    assert "宗地." in page  # the file name inside the check.run line


def test_check_form_names_candidate_parks_as_candidates(client, clerk):
    page = client.get("/quota/check").get_data(as_text=True)
    assert f'<option value="park-01">候选园区“{PARK01_NAME}”</option>' in page
    assert '<option value="zone-01">郑州高新技术产业开发区</option>' in page  # a zone is no candidate
