"""The planners' pages over HTTP: both languages, key content, exports linked, nothing external."""

import json
import re
from urllib.parse import urlencode

import pytest

PAGES = ("/", "/parks/", "/parks/park-01", "/parks/park-09", "/parks/park-b2-1", "/views/built-up",
         "/views/revenue", "/views/revenue?year=2012")
EXTERNAL_ASSET = re.compile(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', re.I)


def export_href(scope: str, theme: str | None = None) -> str:
    """The href of an export link, as url_for writes it (scope quoted, theme after it)."""
    query = urlencode({"scope": scope} | ({"theme": theme} if theme else {}), safe=":")
    return f'href="/export/?{query.replace("&", "&amp;")}"'


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ("zh", "en"))
def test_page_renders_in_both_languages_with_nothing_external(client, path, lang):
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}lang={lang}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in html
    assert not EXTERNAL_ASSET.search(html)
    assert "cdn" not in html.lower()
    assert "$(" not in html  # no jQuery is served, so nothing may call it
    if lang == "en":
        assert "河南省战略性新兴产业地图" not in html and "Henan SEI Atlas" in html


def test_overview_has_switcher_legend_search_filters_panel_and_export(client):
    html = client.get("/?lang=zh").get_data(as_text=True)
    assert "L.control.layers" in html and "atlas-legend" in html
    assert 'id="atlas-search"' in html
    for key in ("industry", "sector", "city"):
        assert f'id="atlas-filter-{key}"' in html
    assert '<option value="洛阳市">洛阳市</option>' in html
    assert "16个省级示范园区总建成面积" in html and "3,000" in html  # plan targets panel
    assert "国药集团所在示范园区" in html and "第10–16个名额" in html  # unlocated, listed
    assert 'id="atlas-export"' in html and export_href("province") in html
    assert "/static/js/atlas.js" in html and "/vendor/leaflet/leaflet.js" in html
    assert "候选" in html


def test_overview_english_is_complete(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    for text in ("Search by name", "Filter", "Plan targets", "Unlocated (listed, not drawn)",
                 "Candidate \\u00b7 Luoyang", "Location precision",
                 '<option value="洛阳市">Luoyang</option>'):
        assert text in html
    assert "按名称搜索" not in html and "规划指标" not in html


def test_optional_tile_layer_only_when_configured(app, client):
    assert "L.tileLayer" not in client.get("/").get_data(as_text=True)
    app.config.update(TILE_URL="http://tiles.intranet/{z}/{x}/{y}.png", TILE_ATTRIBUTION="Intranet WMTS")
    html = client.get("/").get_data(as_text=True)
    assert "L.tileLayer" in html and "tiles.intranet" in html and "Intranet WMTS" in html


def test_park_list_shows_16_slots_and_marks_candidates(client):
    html = client.get("/parks/?lang=zh").get_data(as_text=True)
    assert html.count('<tr data-id="park-') == 21
    assert html.count('class="tag candidate"') == 9
    assert "名单未公开" in html and "推算" in html


def test_park_page_has_map_figures_with_basis_nearby_evidence_and_export(client):
    html = client.get("/parks/park-04?lang=zh").get_data(as_text=True)
    assert "folium-map" in html and "L.geoJson" in html
    assert "3.13" in html and "4.06" in html and "basis-derived" in html and "规划总量 ÷ 16" in html
    assert '<tr data-id="proj-08">' in html and "在示意范围内" in html
    assert '<tr data-id="zone-02">' in html and "4.9 km" in html
    assert "七二五研究所" in html and "comelan.com" in html  # evidence and sources
    assert export_href("park:park-04") in html and ">导出</a>" in html


def test_unlocated_park_page_has_no_map(client):
    html = client.get("/parks/park-09?lang=en").get_data(as_text=True)
    assert "folium-map" not in html and "Unlocated: no map is drawn." in html
    assert export_href("park:park-09") in html
    assert "nan" not in re.sub(r"<[^>]+>", " ", html).split()


def test_unknown_park_is_a_bilingual_404(client):
    r = client.get("/parks/park-99")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "找不到该页面或数据。" in html and "Not found." in html


def test_built_up_view_states_plan_and_derived_split(client):
    html = client.get("/views/built-up?lang=zh").get_data(as_text=True)
    assert "50 km² → 65 km²" in html and "basis-plan" in html
    assert "平均分配" in html and "basis-derived" in html
    per_park = html[html.index('id="built-parks"'):]
    assert per_park.count('<tr data-id="park-') == 16
    assert html[html.index('id="monitor-table"'):].count('<tr data-id="park-') == 32  # target table too
    en = client.get("/views/built-up?lang=en").get_data(as_text=True)
    assert "even split" in en and "Unidentified slots" in en


def test_revenue_view_cities_clusters_unassigned_plan_and_exports(client):
    html = client.get("/views/revenue?lang=zh").get_data(as_text=True)
    assert "1,600亿元 → 3,000亿元" in html
    assert '<tr data-city="洛阳市">' in html
    assert export_href("city:洛阳市", "revenue") in html
    assert export_href("cluster:clu-09", "revenue") in html and "313" in html
    assert export_href("province", "revenue") in html
    assert "未分配到市的名额：8个" in html and "1,500" in html and "50.0%" in html
    y2012 = client.get("/views/revenue?year=2012&lang=en").get_data(as_text=True)
    assert "By city (derived; parks with a recorded actual count it)" in y2012 and "800" in y2012
    assert 'data-year="2012"' in y2012
    assert "nan" not in re.sub(r"<[^>]+>", " ", y2012).split()


def test_revenue_view_refuses_a_bad_year(client):
    r = client.get("/views/revenue?year=1999")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "year 须为 2012、2013 之一" in html and "year must be one of 2012, 2013" in html


def test_language_switch_keeps_the_query(client):
    html = client.get("/views/revenue?year=2012&lang=zh").get_data(as_text=True)
    assert re.search(r'href="/views/revenue\?year=2012&amp;lang=en"', html)


def test_navigation_links_the_pages(client):
    html = client.get("/parks/").get_data(as_text=True)
    for href in ('href="/"', 'href="/parks/"', 'href="/views/built-up"', 'href="/views/revenue"'):
        assert href in html


def test_pages_state_the_plans_park_count_from_plan_targets(app, client, sign_in):
    app.jinja_env.globals["park_slots"] = 20  # as if plan_targets.csv said 20
    sign_in("viewer")
    texts = {"/": "20个示范园区的官方名单未公开", "/parks/": "示范园区：20个名额",
             "/quota/": "20个园区名额的指标为推算值",
             "/parks/park-01": "1 / 20", "/views/built-up": "20个示范园区总建成面积",
             "/views/revenue": "20个示范园区主营业务收入"}
    for path, text in texts.items():
        assert text in client.get(path).get_data(as_text=True), path
    for path in ("/views/built-up", "/views/revenue"):  # the plan-total rows count the slots
        html = client.get(path).get_data(as_text=True)
        assert '<td class="num">20</td>' in html and '<td class="num">16</td>' not in html, path


# --- language and wording (issue 13) ----------------------------------------------------------

CJK_PUNCTUATION = re.compile(r"[，。；：、（）《》！？]")
ENGLISH_PAGES = ("/", "/parks/", "/parks/park-01", "/parks/park-04", "/parks/park-09", "/views/built-up",
                 "/views/revenue", "/export/", "/data/", "/auth/login", "/ogc/?f=html",
                 "/ogc/collections/parks?f=html", "/no-such-page")


def visible_english(html: str) -> str:
    """The text a reader sees, less scripts, styles and texts marked as written in Chinese."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<(\w+) lang="zh[^"]*">.*?</\1>', " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("path", ENGLISH_PAGES)
def test_english_pages_use_english_punctuation(client, path):
    html = client.get(path + ("&" if "?" in path else "?") + "lang=en").get_data(as_text=True)
    text = visible_english(html)
    found = [text[max(m.start() - 30, 0): m.end() + 10] for m in CJK_PUNCTUATION.finditer(text)]
    assert found == []


def test_evidence_is_shown_as_written_under_bilingual_labels_with_each_sources_kind(client):
    zh = client.get("/parks/park-03?lang=zh").get_data(as_text=True)
    assert "英文原文" in zh and "证据与出处按原文列出，未翻译" in zh  # said, not pretended
    assert "<dt>状态</dt>" in zh and "<dt>证据</dt>" in zh and "<dt>证据强度</dt><dd>中</dd>" in zh
    assert '<span lang="en">CANDIDATE, not confirmed as one of the 16' in zh  # the fact, untranslated
    assert "规划文本" in zh and "网页转载" in zh and "二手" in zh and "数据集" in zh
    assert "status=CANDIDATE" not in zh  # the raw key=value cell is read, not dumped
    en = client.get("/parks/park-03?lang=en").get_data(as_text=True)
    assert "<dt>Status</dt>" in en and "plan text" in en and "web copy" in en and "secondary" in en
    assert "English original" not in en and "英文原文" not in en


def test_the_map_popups_carry_the_same_evidence_block(client):
    html = client.get("/?lang=zh").get_data(as_text=True)  # popups are inlined as JSON
    assert json.dumps("英文原文")[1:-1] in html and "source-kind source-plan" in html
