"""Folium maps that load nothing from outside the app.

Folium's defaults point at CDNs (Leaflet, jQuery, Bootstrap, awesome-markers, glyphicons).
:class:`OfflineMap` replaces them with Leaflet alone, served by the app from its PyPI package
(``/vendor/leaflet/…``, see ``web/assets.py``); our maps use only circle markers, GeoJSON
layers, popups, tooltips and a layer control, which need nothing else.
"""

from __future__ import annotations

import folium

VENDOR_BASE = "/vendor"


class OfflineMap(folium.Map):
    """A ``folium.Map`` with no tiles by default and Leaflet from ``vendor_base``."""

    default_js = [("leaflet", f"{VENDOR_BASE}/leaflet/leaflet.js")]
    default_css = [("leaflet_css", f"{VENDOR_BASE}/leaflet/leaflet.css")]

    def __init__(self, *args, vendor_base: str = VENDOR_BASE, tiles=None, **kwargs):
        super().__init__(*args, tiles=tiles, **kwargs)
        self.default_js = [("leaflet", f"{vendor_base}/leaflet/leaflet.js")]
        self.default_css = [("leaflet_css", f"{vendor_base}/leaflet/leaflet.css")]


def add_tile_layer(m: folium.Map, url: str, attribution: str, name: str) -> None:
    """The optional online/intranet tile layer (config ``TILE_URL``); nothing when ``url`` is empty."""
    if url:
        folium.TileLayer(tiles=url, attr=attribution or url, name=name, overlay=True,
                         control=True, show=True).add_to(m)


def map_parts(m: folium.Map) -> dict[str, str]:
    """The rendered pieces of a map to embed in a Jinja page: ``header`` (Leaflet and the map's
    CSS, for <head>), ``html`` (the map <div>) and ``script`` (the JavaScript that draws it),
    plus ``name``, the map's JavaScript variable."""
    root = m.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(),
            "script": root.script.render(), "name": m.get_name()}
