"""Actual figures over HTTP: /api/actuals and the /actuals/ page, roles, clear refusals that
write nothing, the audit trail, table imports, concurrent writers, and the views showing
target against actual."""

import io
import re
import threading

import pytest
from conftest import TEST_PASSWORD
from openpyxl import Workbook

from store import accounts, audit
from store.models import Actual
from web.auth import database

GOOD = {"area": "park-04", "year": 2013, "metric": "built_up_km2", "value": 5.2,
        "source": "2013年土地变更调查"}


def stored(app) -> list[tuple]:
    with app.app_context(), database().read() as s:
        return [(a.area_id, a.year, a.metric, a.value, a.source) for a in s.query(Actual).order_by(Actual.id)]


def trail(app) -> list[dict]:
    with app.app_context(), database().read() as s:
        return [audit.as_dict(e)
                for e in audit.entries(s, audit.AuditFilter(action="actual.set"), limit=None)]


def token_for(app, username: str, role: str) -> str:
    with app.app_context(), database().write() as s:
        accounts.create_user(s, username, TEST_PASSWORD, role)
        return accounts.new_api_token(s, username)


def test_a_planner_records_a_figure_and_gets_201_with_the_stored_record(app, client, sign_in):
    sign_in("planner")
    r = client.post("/api/actuals", json=GOOD)
    assert r.status_code == 201
    body = r.get_json()
    assert body["change"] == "added" and body["before"] is None
    rec = body["record"]
    assert [rec[k] for k in ("area", "year", "metric", "value", "basis", "source", "updated_by")] == [
        "park-04", 2013, "built_up_km2", 5.2, "sourced", "2013年土地变更调查", "planner"]
    r = client.post("/api/actuals", json=GOOD | {"value": "5.5", "source": "遥感监测", "reason": "更正"})
    assert r.status_code == 201 and r.get_json()["change"] == "replaced"
    assert r.get_json()["before"]["value"] == 5.2
    lines = trail(app)
    assert [(e["before"] and e["before"]["value"], e["after"]["value"], e["actor"]) for e in lines] == [
        (5.2, 5.5, "planner"), (None, 5.2, "planner")]
    assert lines[0]["target"] == "park-04@2013:built_up_km2" and lines[0]["reason"] == "更正"


def test_names_are_accepted_and_stored_by_id(app, client, sign_in):
    sign_in("admin")  # admins may do what planners may
    r = client.post("/api/actuals", json=GOOD | {"area": "洛阳", "metric": "revenue_yi", "value": "1,200",
                                                 "year": "2013年"})
    assert r.status_code == 201
    assert stored(app) == [("洛阳市", 2013, "revenue_yi", 1200.0, "2013年土地变更调查")]


@pytest.mark.parametrize(("change", "code", "zh", "en"), [
    ({"area": "park-99"}, "bad_area", "没有区域", "no area"),
    ({"area": ""}, "bad_area", "请填写区域", "Give the area"),
    ({"metric": "gdp"}, "bad_metric", "指标须为", "metric must be one of"),
    ({"year": 1999}, "bad_year", "年份须为", "The year must be"),
    ({"year": "next year"}, "bad_year", "年份须为", "The year must be"),
    ({"value": -3}, "bad_value", "不小于 0", "0 or more"),
    ({"value": "五"}, "bad_value", "不小于 0", "0 or more"),
    ({"value": 2500}, "bad_value", "不超过 2,000", "at most 2,000"),
    ({"source": " "}, "source_required", "请注明来源", "Give the source"),
    ({"basis": "derived"}, "bad_basis", "依据须为", "basis must be"),
])
def test_bad_figures_get_a_bilingual_400_and_nothing_is_written(app, client, sign_in, change, code, zh, en):
    sign_in("planner")
    r = client.post("/api/actuals", json=GOOD | change)
    assert r.status_code == 400
    body = r.get_json()
    assert body["error"] == code and zh in body["message_zh"] and en in body["message_en"]
    assert stored(app) == [] and trail(app) == []


def test_a_body_that_is_not_an_object_is_refused(client, sign_in):
    sign_in("planner")
    r = client.post("/api/actuals", json=[GOOD])
    assert r.status_code == 400 and r.get_json()["error"] == "bad_parameter"


@pytest.mark.parametrize("role", ["viewer", "land_staff"])
def test_viewers_and_land_staff_read_but_may_not_write(app, client, sign_in, role):
    sign_in(role)
    r = client.post("/api/actuals", json=GOOD)
    assert r.status_code == 403
    assert "规划人员" in r.get_json()["message_zh"] and "planner" in r.get_json()["message_en"]
    assert client.get("/api/actuals").status_code == 200
    assert stored(app) == []


def test_signed_out_requests_get_401(client):
    assert client.post("/api/actuals", json=GOOD).status_code == 401
    assert client.get("/api/actuals").status_code == 401


def test_reading_lists_figures_with_area_names_and_filters(app, client, sign_in):
    sign_in("planner")
    for change in ({}, {"year": 2012, "value": 3}, {"area": "郑州市", "metric": "enterprises", "value": 80}):
        assert client.post("/api/actuals", json=GOOD | change).status_code == 201
    body = client.get("/api/actuals").get_json()
    assert [m["key"] for m in body["metrics"]] == ["built_up_km2", "investment_yi", "revenue_yi",
                                                   "enterprises"]
    assert len(body["actuals"]) == 3
    first = body["actuals"][0]
    assert first["name_zh"] == "洛阳（新材料；七二五研究所新厂区）" and first["area_kind"] == "park"
    def listed(query):
        return client.get(f"/api/actuals?{query}").get_json()["actuals"]

    assert [a["year"] for a in listed("area=park-04&metric=built_up_km2")] == [2012, 2013]
    assert [a["area"] for a in listed("year=2013&metric=enterprises")] == ["郑州市"]
    r = client.get("/api/actuals?year=13")
    assert r.status_code == 400 and r.get_json()["error"] == "bad_year"


def test_concurrent_requests_for_one_figure_keep_one_row_and_every_change(app):
    tokens = [token_for(app, f"planner{i}", "planner") for i in range(6)]
    barrier = threading.Barrier(len(tokens))
    statuses = []

    def post(i, token):
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/actuals", json=GOOD | {"value": float(i), "source": f"报告{i}"},
                        headers={"Authorization": f"Bearer {token}"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post, args=(i, tok)) for i, tok in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * len(tokens)
    rows, lines = stored(app), trail(app)
    assert len(rows) == 1 and len(lines) == len(tokens)
    assert rows[0][3] == lines[0]["after"]["value"]  # the last change is what is stored
    assert sum(line["before"] is None for line in lines) == 1


CSV = """2013年示范园区建成面积
单位：公顷
园区,2012年,2013年
park-04,300,520
洛阳高新区（硅光伏）,250,—
合计,550,520
资料来源：2013年土地变更调查
"""


def test_import_a_wide_csv_through_the_api(app, client, sign_in):
    sign_in("planner")
    r = client.post("/api/actuals/import", data={"file": (io.BytesIO(CSV.encode("gbk")), "建成面积.csv"),
                                                 "metric": "built_up_km2"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["counts"] == {"added": 3, "replaced": 0, "unchanged": 0} and body["unit"] == "公顷"
    assert body["skipped"][0]["row"] == 6
    assert sorted(stored(app)) == [("park-04", 2012, "built_up_km2", 3.0, "2013年土地变更调查"),
                                   ("park-04", 2013, "built_up_km2", 5.2, "2013年土地变更调查"),
                                   ("park-06", 2012, "built_up_km2", 2.5, "2013年土地变更调查")]
    assert len(trail(app)) == 3


def test_import_an_xlsx_on_the_page_and_a_bad_table_is_refused_whole(app, client, sign_in):
    sign_in("planner")
    book = Workbook()
    for row in (["地区", "年份", "指标", "数值", "来源"],
                ["郑州市", 2013, "revenue_yi", 520, "郑州统计年鉴2014"],
                ["开封新区", 2013, "revenue_yi", 80, "x"]):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    r = client.post("/actuals/import", data={"file": (io.BytesIO(data.getvalue()), "收入.xlsx")})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "第 3 行" in html and "开封新区" in html and "nothing was written" in html
    assert stored(app) == []
    book.active.delete_rows(3)
    data = io.BytesIO()
    book.save(data)
    r = client.post("/actuals/import", data={"file": (io.BytesIO(data.getvalue()), "收入.xlsx")})
    assert r.status_code == 303
    assert stored(app) == [("郑州市", 2013, "revenue_yi", 520.0, "郑州统计年鉴2014")]
    assert "新增 1" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_the_page_shows_the_form_to_planners_only_and_keeps_input_on_a_refusal(app, client, sign_in):
    sign_in("viewer", "reader")
    html = client.get("/actuals/").get_data(as_text=True)
    assert 'id="actual-form"' not in html and 'id="actuals-table"' in html
    assert client.post("/actuals/", data=GOOD).status_code == 403
    sign_in("planner")
    html = client.get("/actuals/?lang=en").get_data(as_text=True)
    assert 'id="actual-form"' in html and '<option value="park-04">' in html and "Source (required)" in html
    r = client.post("/actuals/", data=GOOD | {"source": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'id="actual-error"' in html and "Give the source" in html
    assert '<option value="park-04" selected>' in html and 'value="5.2"' in html
    r = client.post("/actuals/", data=GOOD)
    assert r.status_code == 303
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已保存" in html or "Saved" in html
    assert 'data-area="park-04" data-year="2013" data-metric="built_up_km2"' in html
    assert "2013年土地变更调查" in html


def test_cli_creates_a_planner(app, runner):
    r = runner.invoke(args=["users", "create", "wang", "--role", "planner", "--password", TEST_PASSWORD])
    assert r.exit_code == 0 and "planner" in r.output
    with app.app_context(), database().read() as s:
        assert accounts.get_user(s, "wang").role == "planner"


def test_views_show_the_actual_against_its_target_with_basis_source_gap_and_chart(app, client, sign_in):
    before = client.get("/views/built-up?lang=zh").get_data(as_text=True)
    assert 'data-id="park-04" data-target="4.0625" data-actual=""' in before
    sign_in("planner")
    client.post("/api/actuals", json=GOOD)
    client.post("/api/actuals", json=GOOD | {"area": "province", "value": 61.5, "source": "省发改委通报"})
    html = client.get("/views/built-up?lang=zh").get_data(as_text=True)  # not the cached page
    row = re.search(r'<tr data-id="park-04" class="status-met">(.*?)</tr>', html, re.S).group(1)
    assert "4.06" in row and "basis-derived" in row and "5.2" in row and "basis-sourced" in row
    assert "2013年土地变更调查" in row and "+1.14" in row and "128%" in row and "达到目标" in row
    assert 'data-id="park-04" data-target="4.0625" data-actual="5.2"' in html  # the chart
    assert "5.2 / 4.06 (+1.14)" in html
    total = re.search(r'<tr class="total" id="monitor-total">(.*?)</tr>', html, re.S).group(1)
    assert "16个，1个有实际值" in total and "65" in total and "+1.14" in total
    province = re.search(r'id="monitor-province" data-id="province">(.*?)</tr>', html, re.S).group(1)
    assert "61.5" in province and "basis-plan" in province and "−3.5" in province
    assert "含录入实际值：2012年0个，2013年1个" in html  # the per-group totals count it
    en = client.get("/views/built-up?lang=en&level=city").get_data(as_text=True)
    assert "Cities" in en and "Slots in no city: 8" in en and "达到目标" not in en


def test_investment_and_revenue_views_and_their_years_and_levels(app, client, sign_in):
    html = client.get("/views/investment?lang=zh").get_data(as_text=True)
    assert "330亿元 → 450亿元" in html and 'id="monitor-table"' in html
    assert html.count('<tr data-id="park-') == 16
    assert 'href="/views/investment"' in html  # in the navigation
    assert client.get("/views/revenue?level=cluster").status_code == 200
    for bad in ("/views/investment?year=2014", "/views/built-up?year=x", "/views/revenue?level=county"):
        r = client.get(bad)
        assert r.status_code == 400, bad
    r = client.get("/views/investment?year=2014")
    assert "year 须为 2012、2013 之一" in r.get_data(as_text=True) and "year must be one of 2012, 2013" in \
        r.get_data(as_text=True)
    sign_in("planner")
    assert client.post("/api/actuals", json=GOOD | {"metric": "investment_yi", "year": 2014, "value": 40}
                       ).status_code == 201
    html = client.get("/views/investment?year=2014&lang=en").get_data(as_text=True)
    assert 'data-year="2014"' in html and "actual, no target" in html  # the plan stops at 2013
    assert 'href="/views/investment?year=2012&amp;level=park"' in html


def test_the_park_page_shows_the_recorded_figure_with_its_source(client, sign_in):
    assert "2013年土地变更调查" not in client.get("/parks/park-04").get_data(as_text=True)
    sign_in("planner")
    client.post("/api/actuals", json=GOOD)
    html = client.get("/parks/park-04?lang=zh").get_data(as_text=True)
    figures = html[html.index('id="figures"'):html.index("</table>", html.index('id="figures"'))]
    assert "5.2 <span class=\"basis basis-sourced\">" in figures and "来源：2013年土地变更调查" in figures
    assert "3.13" in figures and "basis-derived" in figures  # 2012 stays the derived share


def test_table_imports_are_rate_limited_like_other_uploads_and_single_figures_are_not(app, client, sign_in):
    app.config["UPLOAD_RATE_LIMIT"] = "1 per minute"
    sign_in("planner")

    def upload():
        return client.post("/api/actuals/import", data={"file": (io.BytesIO(CSV.encode()), "t.csv"),
                                                        "metric": "built_up_km2"})

    assert [upload().status_code for _ in range(2)] == [201, 429]
    assert [client.post("/api/actuals", json=GOOD).status_code for _ in range(2)] == [201, 201]


def test_a_recorded_figure_rebuilds_the_pages_and_drops_the_stale_ones(app, client, sign_in):
    sign_in("planner")
    assert 'data-actual="5.2"' not in client.get("/views/built-up").get_data(as_text=True)
    client.get("/parks/park-04")
    assert len(app.extensions["atlas_page_maps"]) == 2
    client.post("/api/actuals", json=GOOD)
    assert 'data-actual="5.2"' in client.get("/views/built-up").get_data(as_text=True)
    assert len(app.extensions["atlas_page_maps"]) == 1  # only pages of the current figures are kept
