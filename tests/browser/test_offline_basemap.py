"""The offline basemap on the overview, in headless Chromium with every request outside the app
blocked: land, rivers and place names drawn on canvas under the thematic layers, in the page's
language, with labels that do not collide."""

import pytest
from browser_pages import open_map, script_errors

pytestmark = pytest.mark.browser

#: records every text drawn on a canvas (protomaps-leaflet draws its labels with fillText)
RECORD_CANVAS_TEXT = """
window.canvasTexts = [];
const fill = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, x, y, w) {
  window.canvasTexts.push(String(text));
  return fill.call(this, text, x, y, w);
};
"""

#: the labels protomaps-leaflet placed at the map's zoom: (count, overlapping pairs)
PLACED = """() => {
  const layer = window.atlasBasemap.layer, map = window.atlas.map;
  const boxes = layer.labelers.labelers.get(map.getZoom()).index.tree.all();
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.indexedLabel !== b.indexedLabel && a.minX < b.maxX && b.minX < a.maxX
        && a.minY < b.maxY && b.minY < a.maxY) overlaps++;
  }
  return [new Set(boxes.map(b => b.indexedLabel)).size, overlaps];
}"""


@pytest.fixture(autouse=True)
def no_script_errors(page):
    errors = script_errors(page)
    yield
    assert errors == []


def open_basemap(page, lang: str) -> None:
    page.add_init_script(RECORD_CANVAS_TEXT)
    open_map(page, lang, ready="() => window.atlasReady === true && window.atlasBasemap.ready !== null")
    page.evaluate("() => window.atlasBasemap.ready.then(() => true)")


def pixel(page, x: int, y: int) -> tuple[int, int, int]:
    return tuple(page.evaluate("""([x, y]) => {
      for (const c of document.querySelectorAll('.leaflet-atlasBasemap-pane canvas')) {
        const r = c.getBoundingClientRect();
        if (x >= r.left && x < r.right && y >= r.top && y < r.bottom) {
          const s = c.width / r.width;
          return Array.from(c.getContext('2d').getImageData((x - r.left) * s, (y - r.top) * s, 1, 1).data)
            .slice(0, 3);
        }
      }
      return null;
    }""", [x, y]))


def test_the_basemap_draws_land_and_chinese_place_names_offline(page):
    open_basemap(page, "zh")
    texts = page.evaluate("() => window.canvasTexts")
    assert {"郑州市", "洛阳市", "开封市"} <= set(texts)
    assert "Zhengzhou" not in texts
    placed, overlaps = page.evaluate(PLACED)
    assert placed >= 10 and overlaps == 0
    # Henan's land fill, under the thematic layers (a point in Zhumadian, away from any marker)
    x, y = page.evaluate("""() => {
      const map = window.atlas.map, box = map.getContainer().getBoundingClientRect();
      const p = map.latLngToContainerPoint([32.9, 114.3]);
      return [Math.round(box.left + p.x), Math.round(box.top + p.y)];
    }""")
    assert pixel(page, x, y) == (248, 246, 241)
    assert page.blocked == [] and page.failed == []


def test_english_pages_label_places_in_english(page):
    open_basemap(page, "en")
    texts = set(page.evaluate("() => window.canvasTexts"))
    assert {"Zhengzhou", "Luoyang", "Nanyang"} <= texts
    assert "郑州市" not in texts
    assert "GeoNames (CC BY 4.0)" in page.inner_text(".leaflet-control-attribution")
    assert page.blocked == [] and page.failed == []


def test_counties_appear_when_zooming_in(page):
    open_basemap(page, "zh")
    assert "中牟县" not in page.evaluate("() => window.canvasTexts")
    page.evaluate("""() => new Promise(done => {
      window.atlasBasemap.layer.once('load', () => done(true));
      window.atlas.map.setView([34.75, 113.9], 9, {animate: false});
    })""")
    assert "中牟县" in page.evaluate("() => window.canvasTexts")
    assert page.blocked == [] and page.failed == []
