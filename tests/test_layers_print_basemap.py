"""What printed sheets and pitch packs show besides the layers: the basemap (rivers, lakes and
place names in the sheet's language, placed clear of each other), the locator inset of a
city, park or cluster sheet, and recorded actual figures in place of derived ones."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from PIL import Image
from pypdf import PdfReader

from layers.print import locator
from layers.print.pitch_pack import cover_figure, parse_pack_options, render_pack
from layers.print.printmap import MapCanvas
from layers.print.render import build_figure, load, render, render_data
from layers.print.sheet import parse_options
from parks.actuals import COLUMNS
from parks.basemap import ATTRIBUTION
from parks.catalog import Catalog

MADE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
SVG = "{http://www.w3.org/2000/svg}"
#: park-01's 2013 built-up area measured, and its 2013 revenue from a yearbook
ACTUALS = pd.DataFrame([
    ["park-01", 2013, "built_up_km2", 5.2, "measured", "2013 年土地变更调查", "planner", None],
    ["park-01", 2013, "revenue_yi", 350.0, "sourced", "《郑州统计年鉴 2014》", "planner", None],
], columns=COLUMNS)


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def options(**args):
    return parse_options({"dpi": "72", **{k: str(v) for k, v in args.items()}})


def svg_of(catalog, actuals=None, **args) -> str:
    return render(catalog, options(format="svg", **args), made=MADE, actuals=actuals).content.decode()


def texts(svg: str, prefix: str) -> list[str]:
    """The texts of the SVG groups whose id starts with ``prefix``."""
    root = ElementTree.fromstring(svg)
    return ["".join(t.itertext()).strip() for g in root.iter(f"{SVG}g")
            if g.get("id", "").startswith(prefix) for t in g.iter(f"{SVG}text")]


# --- the locator inset -------------------------------------------------------------------------

def test_a_park_sheet_has_a_locator_with_its_extent_marked_inside_henan(catalog):
    opts = options(scope="park:park-07")
    fig, info = build_figure(load(catalog, opts), opts, MADE)
    [inset] = [ax for ax in fig.axes if ax.get_gid() == "locator"]
    [extent] = [a for a in inset.findobj(PathPatch) if a.get_gid() == "locator-extent"]
    assert extent.get_edgecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=0.01)  # red
    # the marked extent is the map's frame: small, inside the inset's view of Henan
    marked = shapely.box(*extent.get_path().get_extents().extents)
    (x0, x1), (y0, y1) = inset.get_xlim(), inset.get_ylim()
    assert shapely.box(x0, y0, x1, y1).contains(marked)
    assert marked.area < 0.01 * (x1 - x0) * (y1 - y0)
    assert any(a.get_gid() == "locator-ring" for a in inset.get_children())  # too small to see alone
    map_box, box = info["ax"].get_position(), inset.get_position()  # inside the map frame
    assert map_box.x0 <= box.x0 and box.x1 <= map_box.x1 and map_box.y0 <= box.y0 and box.y1 <= map_box.y1


def test_the_locator_marks_a_city_sheets_whole_frame_and_is_in_the_svg(catalog):
    svg = svg_of(catalog, scope="city:洛阳市")
    assert 'id="locator"' in svg and 'id="locator-extent"' in svg
    assert 'id="locator-ring"' not in svg  # a city's frame is big enough to see


def test_the_province_sheet_has_no_locator(catalog):
    opts = options()
    fig, _ = build_figure(load(catalog, opts), opts, MADE)
    assert not [ax for ax in fig.axes if ax.get_gid() == "locator"]
    assert 'id="locator' not in svg_of(catalog)


def test_the_locator_takes_the_corner_that_hides_least(catalog):
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 190_000)  # a 190 mm frame at 1 km per mm
    ax.set_ylim(0, 190_000)
    canvas = MapCanvas(ax, None, "zh", 1.0, 1000.0)
    province = catalog.boundaries("province", 500).geometry.iloc[0]
    map_box, opts = (10.0, 80.0, 190.0, 190.0), options(scope="park:park-07")
    right, top = 10 + 190 - 3 - 38, 80 + 190 - 3

    def corner():
        x, y, w, h = locator.place(canvas, opts, map_box, province, None)
        assert w == 38 and 25 < h < 38  # Henan's proportions
        return ("right" if x == right else "left",
                "top" if y + h == top else "bottom" if y == 80 + 3 else "beside furniture")

    assert corner() == ("right", "top")
    canvas.symbols.append((185_000, 185_000, 3.0))  # a symbol in the top right corner
    assert corner() == ("right", "bottom")
    canvas.symbols.append((185_000, 5_000, 3.0))
    assert corner() == ("left", "beside furniture")  # above the scale bar
    _, y, _, h = locator.place(canvas, opts, map_box, province, None)
    assert y == 80 + 3 + 18


def test_pitch_pack_sheets_have_the_locator(catalog):
    pack = render_pack(catalog, parse_pack_options({"parks": "park-02", "format": "zip", "dpi": "72"}),
                       made=MADE)
    with zipfile.ZipFile(io.BytesIO(pack.content)) as zf:
        page = np.asarray(Image.open(io.BytesIO(zf.read("01-park-02.png"))).convert("RGB")).astype(int)
    # the red extent mark is drawn on the inset in the map's top right corner
    corner = page[100:330, 380:560]
    red = (corner[..., 0] > 180) & (corner[..., 1] < 90) & (corner[..., 2] < 90)
    assert red.sum() > 10


# --- the basemap -------------------------------------------------------------------------------

def test_sheets_draw_rivers_and_lakes_under_the_layers(catalog):
    svg = svg_of(catalog)
    assert 'id="basemap-rivers"' in svg and 'id="basemap-lakes"' in svg
    order = [svg.index(f'id="{gid}"') for gid in ("basemap-rivers", "boundary-county", "layer-parks")]
    assert order == sorted(order)


def test_the_province_sheet_names_cities_in_the_sheets_language(catalog):
    zh, en = texts(svg_of(catalog), "label-place"), texts(svg_of(catalog, lang="en"), "label-place")
    assert {"郑州市", "洛阳市", "南阳市", "信阳市"} <= set(zh)
    assert {"Zhengzhou", "Luoyang", "Nanyang", "Xinyang"} <= set(en)
    assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in en)
    assert not any(t.endswith(("县", "区", "镇", "乡")) for t in zh)  # cities only at province scale
    assert 'id="basemap-places"' in svg_of(catalog)  # each named city has its dot


def test_park_and_city_sheets_name_counties_and_towns(catalog):
    park = texts(svg_of(catalog, scope="park:park-01"), "label-place")
    assert {"新郑市", "中牟县"} <= set(park)  # the counties the park's frame shows
    city = texts(svg_of(catalog, scope="city:洛阳市", lang="en"), "label-place")
    assert "Song County" in city and "Luoyang" in city
    assert any(t in city for t in ("Jincun", "Fudian", "Checun"))  # towns inside the city


def test_place_labels_keep_clear_of_each_other_and_of_the_layers_labels(catalog):
    opts = options(scope="city:郑州市")
    fig, info = build_figure(load(catalog, opts), opts, MADE)
    renderer = fig.canvas.get_renderer()
    labels = [a for a in info["ax"].texts if (a.get_gid() or "").startswith("label-")]
    places = [a for a in labels if a.get_gid().startswith("label-place")]
    assert len(places) >= 5 and len(labels) > len(places)
    boxes = [a.get_window_extent(renderer) for a in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_every_sheet_credits_the_basemap(catalog):
    footer = " ".join(texts(svg_of(catalog, scope="park:park-01", lang="en"), "footer"))
    assert ATTRIBUTION[1] in footer and "GeoNames (CC BY 4.0)" in footer and "LGPL" in footer
    assert ATTRIBUTION[0] in "".join(texts(svg_of(catalog, scope="park:park-01"), "footer"))


# --- recorded actual figures -------------------------------------------------------------------

def test_a_park_sheet_shows_recorded_actuals_in_place_of_derived_figures(catalog):
    derived = texts(svg_of(catalog, scope="park:park-01"), "subtitle")
    assert "3.13 → 4.06 km²（推算）" in "".join(derived)
    svg = svg_of(catalog, ACTUALS, scope="park:park-01")
    subtitle, notes = "".join(texts(svg, "subtitle")), "".join(texts(svg, "notes"))
    assert "3.13（推算）→ 5.2 km²（实测）" in subtitle and "4.06" not in subtitle
    assert "100（推算）→ 350 亿元（有出处）" in subtitle
    assert "2013 年建成面积 5.2 km²（实测：2013 年土地变更调查）" in notes
    assert "2013 年主营业务收入 350 亿元（有出处：《郑州统计年鉴 2014》）" in notes


def test_themed_sheets_use_recorded_actuals_and_name_both_bases(catalog):
    svg = svg_of(catalog, ACTUALS, theme="builtup", lang="en")
    assert "3.13 → 5.2 km²" in "".join(texts(svg, "label-theme"))
    legend = " ".join(texts(svg, "legend"))
    assert "built-up area 2013 (derived, measured)" in legend and "built-up area 2012 (derived)" in legend
    assert "Built-up area 2013: 5.2 km² (measured: 2013 年土地变更调查)" in " ".join(texts(svg, "notes"))


def test_the_watermark_still_shows_with_recorded_actuals(catalog):
    opts = options(format="svg", scope="park:park-01", layers="boundaries,parks")
    data = load(catalog, opts, ACTUALS)
    data.layers["parks"] = data.layers["parks"].assign(fictional=data.layers["parks"]["id"] == "park-01")
    svg = render_data(data, opts, made=MADE).content.decode()
    assert "FICTIONAL SAMPLE DATA" in svg and "5.2 km²（实测）" in "".join(texts(svg, "subtitle"))


def test_a_pitch_pack_shows_recorded_actuals_on_its_cover_and_sheets(catalog):
    pack = render_pack(catalog, parse_pack_options({"parks": "park-01,park-02", "dpi": "72"}),
                       made=MADE, actuals=ACTUALS)
    pages = PdfReader(io.BytesIO(pack.content)).pages
    cover, sheet, other = ("".join(p.extract_text().split()) for p in pages)
    assert "3.13（推算）→5.2（实测）" in cover and "100（推算）→350（有出处）" in cover
    assert "3.13→4.06（推算）" in cover  # park-02 keeps its derived share, with its basis
    assert "实际数字（替代推算值）" in cover and "2013年土地变更调查" in cover
    assert "各园区数字除注明的实际数字外" in cover
    assert "3.13（推算）→5.2km²（实测）" in sheet and "3.13→4.06km²（推算）" in other
    plain = "".join(PdfReader(io.BytesIO(render_pack(
        catalog, parse_pack_options({"parks": "park-01", "dpi": "72"}), made=MADE).content)).pages[0]
        .extract_text().split())
    assert "实际数字" not in plain and "各园区数字为规划总数的平均分摊（推算）" in plain


def test_a_pitch_pack_sheet_with_a_fictional_park_is_watermarked(catalog, monkeypatch):
    real = Catalog.layer

    def fictional(self, name, **kw):
        gdf = real(self, name, **kw)
        return gdf.assign(fictional=gdf["id"] == "park-01") if name == "parks" else gdf

    monkeypatch.setattr(Catalog, "layer", fictional)
    pack = render_pack(catalog, parse_pack_options({"parks": "park-01", "dpi": "72"}), made=MADE,
                       actuals=ACTUALS)
    assert pack.metadata["fictional"] is True
    sheet = PdfReader(io.BytesIO(pack.content)).pages[1].extract_text()
    assert "FICTIONAL SAMPLE DATA" in sheet and "5.2" in sheet



def test_a_pitch_pack_cover_map_shows_rivers_and_lakes(catalog):
    located = catalog.layer("parks").head(3)
    boundaries = {level: catalog.boundaries(level, 500.0) for level in ("province", "city")}
    fig = cover_figure(located, located.iloc[:0], located.iloc[:0], boundaries, options(format="svg"),
                       "v1", MADE, MADE.date())
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue().decode()
    assert 'id="cover-map"' in svg and 'id="basemap-rivers"' in svg and 'id="basemap-lakes"' in svg
