"""The /export/ page, GET /api/export and /api/export/pack, and `flask export map|pack`."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from PIL import Image
from pypdf import PdfReader
from werkzeug.http import parse_options_header


def test_export_page_is_prefilled_from_the_map_link(client):
    r = client.get("/export/?scope=province&bbox=112.1,33.5,115.25,35.6&layers=parks,boundaries&lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'name="bbox" value="112.1,33.5,115.25,35.6"' in html
    assert 'value="parks" checked' in html and 'value="boundaries" checked' in html
    assert 'value="zones" checked' not in html
    assert '<option value="province" selected>' in html
    assert "Export print-quality maps" in html and "candidate" in html


def test_export_page_selects_a_park_scope_and_says_what_was_wrong(client):
    html = client.get("/export/?scope=park:park-03").get_data(as_text=True)
    assert '<option value="park:park-03" selected>' in html
    bad = client.get("/export/?scope=park:nope").get_data(as_text=True)
    assert 'id="export-problem"' in bad and "Unknown park" in bad
    assert "dpi must be" in client.get("/export/?dpi=5").get_data(as_text=True)


def test_export_is_in_the_navigation(client):
    assert 'href="/export/"' in client.get("/export/").get_data(as_text=True)


def test_api_export_png_download(client, app):
    r = client.get("/api/export?scope=city:洛阳市&dpi=150&layers=boundaries,parks,zones")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    img = Image.open(io.BytesIO(r.data))
    assert img.size == (1240, 1754) and img.info["dpi"][0] == pytest.approx(150, abs=0.05)
    assert r.headers["X-Data-Version"] == img.info["DataVersion"]


def test_api_export_with_form_checkboxes_and_inline_preview(client):
    r = client.get("/api/export?scope=province&layers=&layers=parks&format=svg&dpi=72&inline=1"
                   "&title=Investment+map&lang=en")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.headers["Content-Disposition"].startswith("inline;")
    svg = r.get_data(as_text=True)
    assert ">Investment map</text>" in svg and 'id="layer-parks"' in svg and 'id="boundary-county"' not in svg


@pytest.mark.parametrize("query,code", [
    ("scope=county:1", "bad_scope"), ("scope=park:park-99", "bad_scope"), ("scope=park:park-12", "unlocated"),
    ("layers=roads", "bad_layer"), ("paper=Letter", "bad_parameter"), ("format=jpg", "bad_parameter"),
    ("dpi=301", "bad_dpi"), ("title=" + "x" * 61, "bad_title"), ("bbox=0,0,1,1", "bad_bbox"),
])
def test_bad_export_input_is_a_bilingual_400(client, query, code):
    r = client.get(f"/api/export?{query}")
    assert r.status_code == 400
    assert r.json["error"] == code and r.json["message_zh"] and r.json["message_en"]


def test_api_pitch_pack_pdf(client):
    r = client.get("/api/export/pack?parks=park-05&dpi=72&lang=en")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    assert len(reader.pages) == 2
    assert "candidate" in reader.pages[0].extract_text().lower()


def test_api_pitch_pack_bad_input(client):
    assert client.get("/api/export/pack?format=rar").status_code == 400
    r = client.get("/api/export/pack?parks=park-13")
    assert r.status_code == 400 and r.json["error"] == "bad_parks"


def test_cli_export_map_writes_the_file(runner, tmp_path):
    out = tmp_path / "sheet.pdf"
    result = runner.invoke(args=["export", "map", "--scope", "park:park-01", "--format", "pdf", "--dpi", "72",
                                 "--title", "航空港区招商", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "航空港区招商" in PdfReader(out).pages[0].extract_text()


def test_cli_export_map_bad_input_exits_2_with_both_languages(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(args=["export", "map", "--paper", "B5", "-o", str(out)])
    assert result.exit_code == 2
    assert "paper 须为" in result.output and "paper must be one of" in result.output
    assert not any(out.iterdir())


def test_cli_export_pack_zip_with_progress(runner, tmp_path):
    result = runner.invoke(args=["export", "pack", "--parks", "park-02,park-03", "--format", "zip",
                                 "--dpi", "72", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [path] = list(tmp_path.glob("*.zip"))
    assert len(zipfile.ZipFile(path).namelist()) == 3
    assert "pages" in result.output  # the progress bar


def _svg_text(svg: str) -> str:
    """Every text of an SVG sheet, run together without spaces (lines wrap anywhere)."""
    return "".join("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)).split())


def test_exports_overview_and_cli_show_a_recorded_actual_in_place_of_the_derived_share(
        client, sign_in, runner, tmp_path):
    sheet = "/api/export?scope=park:park-04&format=svg&dpi=72"
    assert "5.2 km²" not in client.get(sheet).get_data(as_text=True)
    sign_in("planner")
    client.post("/api/actuals", json={"area": "park-04", "year": 2013, "metric": "built_up_km2",
                                      "value": 5.2, "source": "2013年土地变更调查"})
    svg = _svg_text(client.get(sheet).get_data(as_text=True))
    assert "3.13（推算）→5.2km²（有出处）" in svg and "有出处：2013年土地变更调查" in svg
    cover = "".join(PdfReader(io.BytesIO(client.get("/api/export/pack?parks=park-04&dpi=72").data))
                    .pages[0].extract_text().split())
    assert "3.13（推算）→5.2（有出处）" in cover and "2013年土地变更调查" in cover
    assert "\\u571f\\u5730\\u53d8\\u66f4" in client.get("/").get_data(as_text=True)  # 土地变更 in a popup
    result = runner.invoke(args=["export", "map", "--scope", "park:park-04", "--format", "svg",
                                 "--dpi", "72", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [path] = tmp_path.glob("*.svg")
    assert "（有出处：2013年土地变更调查）" in _svg_text(path.read_text(encoding="utf-8"))


# --- the language and name of a download ------------------------------------------------------

SHEET = "/api/export?scope=province&layers=boundaries&format=svg&dpi=72"


def _title(response) -> str:
    return re.search(r'<g id="title">.*?<text[^>]*>([^<]*)</text>', response.get_data(as_text=True),
                     re.S).group(1)


def test_download_language_comes_from_the_request_never_from_a_cookie(client):
    english = client.get(f"{SHEET}&lang=en")
    assert _title(english) == "Henan Province: strategic emerging industries"
    assert not english.headers.getlist("Set-Cookie")  # a download does not switch the pages
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)
    assert _title(client.get(SHEET)) == "河南省战略性新兴产业布局"
    client.set_cookie("lang", "en")  # e.g. left by an earlier version, or by the English pages
    assert _title(client.get(SHEET)) == "河南省战略性新兴产业布局"
    assert _title(client.get(SHEET, headers={"Referer": "http://localhost/export/?lang=en"})) == (
        "Henan Province: strategic emerging industries")
    assert _title(client.get(f"{SHEET}&lang=zh", headers={"Referer": "http://localhost/?lang=en"})) == (
        "河南省战略性新兴产业布局")


def test_a_page_in_a_language_still_remembers_it(client):
    r = client.get("/export/?lang=en")
    assert any(c.startswith("lang=en;") for c in r.headers.getlist("Set-Cookie"))
    assert '<option value="en" selected>English</option>' in client.get("/export/").get_data(as_text=True)


def test_pitch_pack_language_from_the_query_not_the_cookie(client):
    client.set_cookie("lang", "en")
    r = client.get("/api/export/pack?parks=park-09&dpi=72")  # unlocated: the cover only
    assert r.headers["Content-Disposition"].endswith("filename=henan-sei-pitch-pack-zh-A4.pdf")
    assert "候选" in PdfReader(io.BytesIO(r.data)).pages[0].extract_text()


def test_city_sheet_name_is_rfc5987_encoded_and_readable(client):
    r = client.get("/api/export?scope=city:郑州市&layers=boundaries&format=pdf&dpi=72")
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    assert "filename*=UTF-8''henan-sei-city-%E9%83%91%E5%B7%9E%E5%B8%82-layers-A4-portrait.pdf" in disposition
    assert "filename=henan-sei-city--layers-A4-portrait.pdf" in disposition  # the ASCII fallback
    assert "_" not in disposition
    _, options = parse_options_header(disposition)
    assert options["filename"] == "henan-sei-city-郑州市-layers-A4-portrait.pdf"
    english = client.get("/api/export?scope=city:郑州市&layers=boundaries&format=svg&dpi=72&lang=en&inline=1")
    assert english.headers["Content-Disposition"] == (
        "inline; filename=henan-sei-city-Zhengzhou-layers-A4-portrait.svg")


def test_cli_writes_the_readable_city_name(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(args=["export", "map", "--scope", "city:郑州市", "--layers", "boundaries",
                                 "--format", "svg", "--dpi", "72", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["henan-sei-city-郑州市-layers-A4-portrait.svg"]


def test_exports_run_in_a_bounded_queue_and_the_rest_get_503_with_retry_after(app, monkeypatch):
    """One render at a time and one waiting: a third export is refused at once (503 and
    Retry-After), as is a second one from a user who has one under way; /healthz answers."""
    import threading
    import time
    from types import SimpleNamespace

    import web.export

    app.config.update(EXPORT_CONCURRENCY=1, EXPORT_QUEUE=1, EXPORT_PER_USER=1, EXPORT_WAIT_S=30)
    started, release = threading.Event(), threading.Event()
    entered = []

    def slow_render(*_args, **_kwargs):
        entered.append(1)
        started.set()
        assert release.wait(30)
        return SimpleNamespace(content=b"png", mimetype="image/png", filename="map.png",
                               metadata={"data_version": "test"})

    monkeypatch.setattr(web.export, "render", slow_render)

    def get(address: str, path: str = "/api/export?dpi=72"):
        return app.test_client().get(path, environ_base={"REMOTE_ADDR": address})

    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault("a", get("10.0.0.1")))
    second = threading.Thread(target=lambda: answers.setdefault("b", get("10.0.0.2")))
    first.start()
    assert started.wait(10)
    second.start()
    time.sleep(0.3)  # the second one now waits for the slot
    try:
        start = time.monotonic()
        for address, code in (("10.0.0.3", "busy"), ("10.0.0.1", "busy")):
            refused = get(address)
            assert refused.status_code == 503 and refused.json["error"] == code
            assert int(refused.headers["Retry-After"]) > 0
        assert "already have an export" in get("10.0.0.1").json["message_en"]
        assert get("10.0.0.4", "/healthz").status_code == 200
        assert time.monotonic() - start < 2, "refusals must not wait for a slot"
    finally:
        release.set()
        first.join(30)
        second.join(30)
    assert answers["a"].status_code == answers["b"].status_code == 200 and len(entered) == 2


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_renders_run_at_a_lower_cpu_priority_than_requests():
    import os

    from web.export_queue import ExportQueue

    queue = ExportQueue(running=1, waiting=0, per_user=1, wait_s=5)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert queue.run("someone", lambda: os.getpriority(os.PRIO_PROCESS, 0)) > mine
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the request's own thread is untouched
