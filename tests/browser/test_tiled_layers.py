"""A real-sized register on the map: 42,267 fictional projects drawn from vector tiles —
clustered with counts at province scale, single points with working popups at max zoom (over-zoomed
from the data max zoom's tiles), found by the search box — in headless Chromium with every request
outside the app blocked."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from benchmarks.synthetic import fictional_points, install_layer
from layers.tiles import rule
from parks.catalog import Catalog

pytestmark = pytest.mark.browser
REGISTER = 42_267
SHOTS = os.environ.get("SEI_ATLAS_SCREENSHOTS")  # a folder to keep the screenshots in, to look at

CLUSTER_AT = """([lng, lat]) => {
  const t = window.atlasTiles.layers.find(l => l.name === "projects");
  const hits = t.layer.queryTileFeaturesDebug(lng, lat, 24).get("") || [];
  return hits.filter(h => h.layerName === "clusters").map(h => h.feature.props);
}"""
SCREEN_POINT = """([lat, lng]) => {
  const map = window.atlas.map, p = map.latLngToContainerPoint([lat, lng]);
  const r = map.getContainer().getBoundingClientRect();
  return [r.left + p.x, r.top + p.y];
}"""


def shot(page, tmp_path, name):
    path = tmp_path / f"{name}.png"
    page.screenshot(path=path)
    if SHOTS:
        shutil.copy(path, os.path.join(SHOTS, path.name))


def test_a_register_of_42267_points_clusters_then_opens_each_point(page, app, data_dir, tmp_path):
    catalog = Catalog(data_dir)
    points = fictional_points(catalog, "projects", REGISTER)
    version = install_layer(data_dir, "projects", points)
    app.extensions["atlas_tiles"].build("projects", version, workers=2)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    transferred, tile_zooms = [], []
    page.on("response", lambda r: transferred.append(len(r.body())) if "/vendor/" not in r.url else None)
    page.on("request", lambda r: tile_zooms.append(int(r.url.split("/tiles/projects/")[1].split("/")[0]))
            if "/tiles/projects/" in r.url else None)

    page.goto(f"{page.base_url}/")
    page.wait_for_function("() => window.atlasReady === true", timeout=60000)
    assert page.locator(".leaflet-control-layers-overlays label", has_text="重大项目").count() == 1
    assert "重大项目：42,267 项" in page.inner_text("#atlas-count")
    page.wait_for_timeout(1500)  # let the canvas tiles paint for the screenshot
    shot(page, tmp_path, "tiled-z7")
    assert sum(transferred) < 1_000_000  # the page and its data, library assets apart

    # zoom 7: the biggest cluster is drawn where its features are, with their count
    xy = rule.anchor_points(points)
    clusters = rule.clusters(xy, 7).to_crs(4326)
    biggest = clusters.loc[clusters["count"].idxmax()]
    set_view = "([lat, lng, z]) => window.atlas.map.setView([lat, lng], z)"
    page.evaluate(set_view, [biggest.geometry.y, biggest.geometry.x, 7])
    page.wait_for_timeout(1500)
    found = page.evaluate(CLUSTER_AT, [biggest.geometry.x, biggest.geometry.y])
    assert int(biggest["count"]) in [int(c["count"]) for c in found]

    # max zoom 14, over-zoomed from the data max zoom's tiles: a single point opens its popup,
    # fetched from the feature API, and no tile beyond the data max zoom is asked for
    target = points.iloc[int(np.argmin(np.hypot(points["lon"] - 113.65, points["lat"] - 34.75)))]
    tile_zooms.clear()
    page.evaluate(set_view, [target["lat"], target["lon"], 14])
    page.wait_for_timeout(2000)
    assert page.evaluate("() => window.atlas.map.getZoom()") == 14
    assert set(tile_zooms) == {rule.DATA_MAXZOOM}
    x, y = page.evaluate(SCREEN_POINT, [target["lat"], target["lon"]])
    page.mouse.click(x, y)
    popup = page.locator(".atlas-tiled-popup .leaflet-popup-content")
    popup.wait_for(timeout=10000)
    assert target["name_zh"] in popup.inner_text() and "用户提供" in popup.inner_text()
    shot(page, tmp_path, "tiled-z14-popup")

    # the search box asks the server for tiled layers, and a hit opens the point
    page.fill("#atlas-search", "（虚构）projects 4242")
    hit = page.locator("#atlas-results button", has_text="（虚构）projects 4242")
    hit.first.wait_for(timeout=10000)
    hit.first.click()
    page.wait_for_function("""() => {
      const p = document.querySelector('.atlas-tiled-popup');
      return p && p.innerText.includes('（虚构）projects 4242\\n');
    }""", timeout=10000)
    shot(page, tmp_path, "tiled-search")
    assert errors == [] and page.blocked == []


@pytest.mark.parametrize("viewport", [(390, 844)], ids=["phone"])
def test_on_a_phone_a_tiled_layer_leaves_the_layer_switcher_folded(page, app, data_dir, viewport):
    """Adding a tiled layer to the switcher opens it again (Leaflet); on a phone it is folded
    once the layers are in, so the map stays visible."""
    version = install_layer(data_dir, "projects", fictional_points(Catalog(data_dir), "projects", 3_000))
    app.extensions["atlas_tiles"].build("projects", version, workers=1)
    page.goto(f"{page.base_url}/")
    page.wait_for_function("() => window.atlasReady === true", timeout=60000)
    assert page.evaluate("() => window.atlasTiles.layers.length") == 1
    switcher = page.locator(".leaflet-control-layers")
    assert "leaflet-control-layers-expanded" not in switcher.get_attribute("class")
