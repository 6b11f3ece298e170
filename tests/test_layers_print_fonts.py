"""layers.print.fonts: every PDF kind embeds the CJK font as a TrueType CID subset (Type 0 with a
FontFile2, no Type 3) so its Chinese text is extractable; the CFF → TrueType conversion keeps the
outlines and runs once per cache, however many threads ask."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timezone

import matplotlib
import numpy as np
import pytest
from fixtures_files import GBK_NAMES, make_zipped_shapefile, parcels_gdf
from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.areaPen import AreaPen
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image
from pypdf import PdfReader

from layers.print import fonts
from layers.print.check_report import report_pdf
from layers.print.pitch_pack import parse_pack_options, render_pack
from layers.print.render import render
from layers.print.sheet import parse_options
from parks import ledger
from parks.catalog import Catalog
from parks.check_records import areas_around, load_check, run_check
from store.db import Database

MADE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
PARK01 = (113.846, 34.549)  # parcels from here lie inside park-01's schematic circle


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def embedded_fonts(reader: PdfReader) -> list:
    return [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]


def assert_truetype_cid_subsets(reader: PdfReader) -> None:
    """Every font is Type 0 over a CIDFontType2 whose FontFile2 is a small TrueType subset of the
    CJK font, with a ToUnicode map; none is Type 3."""
    found = embedded_fonts(reader)
    assert found and not [f for f in found if f["/Subtype"] == "/Type3"]
    cjk = [f for f in found if str(f["/BaseFont"]).endswith("+NotoSansCJKsc-Regular")]
    assert cjk and all(f["/Subtype"] == "/Type0" and "/ToUnicode" in f for f in cjk)
    glyphs = 0
    for font in cjk:
        cid = font["/DescendantFonts"][0].get_object()
        assert cid["/Subtype"] == "/CIDFontType2"
        descriptor = cid["/FontDescriptor"].get_object()
        assert "/FontFile3" not in descriptor
        subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        assert "glyf" in subset and "CFF " not in subset
        glyphs += subset["maxp"].numGlyphs
    assert 20 < glyphs < 2000  # the glyphs used, not all 65,535


def text_of(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "".join("".join(page.extract_text().split()) for page in reader.pages)


# --- every PDF kind ----------------------------------------------------------------------------

def test_province_sheet_pdf_embeds_truetype_and_its_chinese_title_is_text(catalog):
    result = render(catalog, parse_options({"format": "pdf", "dpi": "72"}), made=MADE)
    reader, text = text_of(result.content)
    assert "河南省战略性新兴产业布局" in text and "郑州市" in text
    assert_truetype_cid_subsets(reader)


def test_pitch_pack_pdf_embeds_truetype_and_its_park_names_are_text(catalog):
    parks = catalog.layer("parks").set_index("id")
    result = render_pack(catalog, parse_pack_options({"parks": "park-02,park-07", "dpi": "72"}), made=MADE)
    reader, text = text_of(result.content)
    assert len(reader.pages) == 3
    for park in ("park-02", "park-07"):
        assert "".join(parks.loc[park, "name_zh"].split()) in text, park
    assert_truetype_cid_subsets(reader)


def test_verdict_pdf_embeds_truetype_and_its_title_and_parcel_names_are_text(tmp_path, built_data):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.create_all()
    cat = Catalog(built_data)
    ledger.seed(db, cat)
    path = make_zipped_shapefile(tmp_path, parcels_gdf(2, lon=PARK01[0], lat=PARK01[1]), crs=4490)
    check_id = run_check(db, path, filename="地块.zip", catalog=cat, actor="li")
    with db.read() as s:
        stored = load_check(s, check_id)
    db.dispose()
    reader, text = text_of(report_pdf(stored, areas_around(cat, stored.result.rows), data_version="v1"))
    assert "地块用地指标核查报告" in text and GBK_NAMES[0] in text and GBK_NAMES[1] in text
    assert_truetype_cid_subsets(reader)


def ink(prop: FontProperties) -> np.ndarray:
    """How dark each pixel of "河南 Henan" drawn in a PNG with ``prop`` is (unhinted, so that
    the outlines are compared, not the hinting)."""
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        fig = Figure(figsize=(3, 1), dpi=100)
        fig.text(0.05, 0.3, "河南 Henan", fontproperties=prop)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", facecolor="white")
    return 255 - np.asarray(Image.open(buf).convert("L"), dtype=float)


def test_png_draws_the_shipped_outlines_from_the_truetype_copy_and_svg_names_the_family():
    prop = fonts.props(28, weight="bold")
    assert font_manager.findfont(prop) == str(fonts.register())  # never a same-named system font
    shipped = ink(FontProperties(size=28, fname=fonts.source_file()))
    other = ink(FontProperties(size=28, fname=fonts.source_file().with_name("NotoSerifCJKsc-Regular.otf")))
    assert np.abs(ink(prop) - shipped).sum() / shipped.sum() < 0.02
    assert np.abs(other - shipped).sum() / shipped.sum() > 0.3  # the measure tells fonts apart
    fig = Figure(figsize=(2, 1))
    fig.text(0.1, 0.5, "河南", fontproperties=prop)
    svg = io.StringIO()
    fig.savefig(svg, format="svg")
    assert "font-family: 'Noto Sans CJK SC'" in svg.getvalue() and ">河南</text>" in svg.getvalue()


# --- the conversion ----------------------------------------------------------------------------

def _ring(pen, cx: float, cy: float, r: float) -> None:
    """A counter-clockwise circle of four cubic curves (PostScript's outer direction)."""
    k = 0.5523 * r
    pen.moveTo((cx + r, cy))
    pen.curveTo((cx + r, cy + k), (cx + k, cy + r), (cx, cy + r))
    pen.curveTo((cx - k, cy + r), (cx - r, cy + k), (cx - r, cy))
    pen.curveTo((cx - r, cy - k), (cx - k, cy - r), (cx, cy - r))
    pen.curveTo((cx + k, cy - r), (cx + r, cy - k), (cx + r, cy))
    pen.closePath()


def make_cff_font(path, *, name: str = "Tiny") -> None:
    """An OpenType font with CFF outlines: .notdef, a space and a ring, uni6CB3, mapped to 河;
    a kerning pair (GPOS) and a vertical form of the ring that only a substitution (GSUB) reaches."""
    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder([".notdef", "space", "uni6CB3", "uni6CB3.vert"])
    fb.setupCharacterMap({0x20: "space", 0x6CB3: "uni6CB3"})
    widths = {".notdef": 500, "space": 250, "uni6CB3": 900, "uni6CB3.vert": 900}
    charstrings = {}
    for glyph, width in widths.items():
        pen = T2CharStringPen(width, None)
        if glyph.startswith("uni6CB3"):
            _ring(pen, 450, 380, 400)
        charstrings[glyph] = pen.getCharString()
    fb.setupCFF(f"{name}-Regular", {"FullName": name}, charstrings, {})
    fb.setupHorizontalMetrics({g: (w, 50 if g == "uni6CB3" else 0) for g, w in widths.items()})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": name, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    addOpenTypeFeaturesFromString(fb.font, "feature kern { pos uni6CB3 uni6CB3 -40; } kern;\n"
                                           "feature vert { sub uni6CB3 by uni6CB3.vert; } vert;")
    fb.save(str(path))


def measure(glyph_set, name: str) -> tuple[float, tuple]:
    area, bounds = AreaPen(glyph_set), BoundsPen(glyph_set)
    glyph_set[name].draw(area)
    glyph_set[name].draw(bounds)
    return area.value, bounds.bounds


def test_to_truetype_keeps_outlines_metrics_cmap_and_kerning_with_truetype_direction(tmp_path):
    make_cff_font(tmp_path / "tiny.otf")
    fonts.to_truetype(tmp_path / "tiny.otf", tmp_path / "tiny.ttf")
    cff, tt = TTFont(tmp_path / "tiny.otf"), TTFont(tmp_path / "tiny.ttf")
    assert tt.sfntVersion == "\x00\x01\x00\x00" and "glyf" in tt and "CFF " not in tt
    assert "GPOS" in tt and "GSUB" in cff and "GSUB" not in tt  # glyphs never follow the locale
    assert tt.getGlyphOrder() == [".notdef", "space", "uni6CB3"]  # no glyph only GSUB reached
    assert tt["post"].formatType == 2.0 and "uni6CB3" in tt["post"].extraNames  # names kept
    assert tt.getBestCmap() == {0x20: "space", 0x6CB3: "uni6CB3"}
    kerning = [(pair.SecondGlyph, pair.Value1.XAdvance) for lookup in tt["GPOS"].table.LookupList.Lookup
               for table in lookup.SubTable for pairs in table.PairSet for pair in pairs.PairValueRecord]
    assert kerning == [("uni6CB3", -40)]
    assert tt["hmtx"]["uni6CB3"][0] == cff["hmtx"]["uni6CB3"][0] == 900
    cubic_area, cubic_box = measure(cff.getGlyphSet(), "uni6CB3")
    quad_area, quad_box = measure(tt.getGlyphSet(), "uni6CB3")
    assert cubic_area > 0 > quad_area  # PostScript outer contours run anticlockwise, TrueType clockwise
    assert abs(quad_area) == pytest.approx(cubic_area, rel=0.005)
    assert quad_box == pytest.approx(cubic_box, abs=fonts.MAX_ERR + 0.5)
    assert tt["hmtx"]["uni6CB3"][1] == tt["glyf"]["uni6CB3"].xMin == 50
    assert tt["maxp"].numGlyphs == 3 and tt["maxp"].maxPoints > 4


@pytest.fixture
def tiny_source(tmp_path, monkeypatch):
    src = tmp_path / "src" / "Tiny-Regular.otf"
    src.parent.mkdir()
    make_cff_font(src)
    monkeypatch.setattr(fonts, "source_file", lambda: src)
    monkeypatch.setattr(fonts, "cache_dir", lambda: tmp_path / "cache")
    calls = []
    real = fonts.to_truetype
    monkeypatch.setattr(fonts, "to_truetype", lambda s, d: (calls.append(s), real(s, d)))
    return src, calls


def test_truetype_file_converts_once_for_many_threads_and_again_when_the_font_changes(tiny_source, tmp_path):
    src, calls = tiny_source
    found = []
    threads = [threading.Thread(target=lambda: found.append(fonts.truetype_file())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(found)) == 1
    first = found[0]
    assert first.parent == tmp_path / "cache" and TTFont(first).getBestCmap()[0x6CB3] == "uni6CB3"
    assert sorted(p.suffix for p in first.parent.iterdir()) == [".lock", ".ttf"]  # no .part left
    assert fonts.truetype_file() == first and len(calls) == 1

    make_cff_font(src, name="Other")
    second = fonts.truetype_file()
    assert second != first and second.exists() and len(calls) == 2
    assert not first.exists()  # the copy of the earlier font is removed


def test_failed_conversion_leaves_nothing_behind(tiny_source, tmp_path, monkeypatch):
    def broken(src, dest):
        dest.write_bytes(b"half a font")
        raise RuntimeError("disk full")

    monkeypatch.setattr(fonts, "to_truetype", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        fonts.truetype_file()
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".lock"]


def test_missing_source_font_says_what_to_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "source_file", lambda: tmp_path / "gone.otf")
    with pytest.raises(RuntimeError, match="mplfonts"):
        fonts.truetype_file()
