"""Folium maps that load nothing from outside the app.

Folium's defaults point at CDNs (Leaflet, jQuery, Bootstrap, awesome-markers, glyphicons).
:class:`OfflineMap` replaces them with Leaflet alone, served by the app from its PyPI package
(``/vendor/leaflet/…``, see ``web/assets.py``); our maps use only circle markers, GeoJSON
layers, popups, tooltips and a layer control, which need nothing else.
"""

from __future__ import annotations

import re

import folium
from branca.element import MacroElement
from jinja2 import Template

VENDOR_BASE = "/vendor"


class MapFurniture(MacroElement):
    """The attribution's prefix as the plain word "Leaflet" (Leaflet 1.9 adds a flag and a link
    to its website), and, when asked, a scale bar in metric units only."""

    _template = Template("""{% macro script(this, kwargs) %}
    {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
    {%- if this.scale %}
    L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
    {%- endif %}
{% endmacro %}""")

    def __init__(self, scale: bool):
        super().__init__()
        self.scale = scale


class OfflineMap(folium.Map):
    """A ``folium.Map`` with no tiles by default, Leaflet from ``vendor_base``, a plain
    "Leaflet" attribution prefix and, with ``control_scale``, a metric scale bar."""

    default_js = [("leaflet", f"{VENDOR_BASE}/leaflet/leaflet.js")]
    default_css = [("leaflet_css", f"{VENDOR_BASE}/leaflet/leaflet.css")]

    def __init__(self, *args, vendor_base: str = VENDOR_BASE, tiles=None, control_scale: bool = False,
                 **kwargs):
        super().__init__(*args, tiles=tiles, control_scale=False, **kwargs)
        self.default_js = [("leaflet", f"{vendor_base}/leaflet/leaflet.js")]
        self.default_css = [("leaflet_css", f"{vendor_base}/leaflet/leaflet.css")]
        MapFurniture(scale=control_scale).add_to(self)


def add_tile_layer(m: folium.Map, url: str, attribution: str, name: str, *, key: str = "") -> None:
    """The optional raster basemap (config ``TILE_URL``, e.g. 天地图 or an intranet XYZ/WMTS
    service); nothing when ``url`` is empty. ``key`` (``TILE_KEY``) fills the URL's ``{key}``,
    as Leaflet fills a template's placeholders from the layer's options."""
    if url:
        folium.TileLayer(tiles=url, attr=attribution or url, name=name, overlay=True,
                         control=True, show=True, **({"key": key} if key else {})).add_to(m)


_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>\s*')


def map_parts(m: folium.Map) -> dict[str, str]:
    """The rendered pieces of a map to embed in a Jinja page: ``header`` (Leaflet and the map's
    CSS, for <head>), ``html`` (the map <div>) and ``script`` (the JavaScript that draws it),
    plus ``name``, the map's JavaScript variable."""
    root = m.get_root()
    root.render()
    # the page's own viewport tag stands; Folium's forbids zooming the page on phones
    header = _FOLIUM_VIEWPORT.sub("", root.header.render())
    return {"header": header, "html": root.html.render(),
            "script": root.script.render(), "name": m.get_name()}
