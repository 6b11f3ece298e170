"""The offline basemap on a Folium map: ``static/js/atlas-basemap.js`` draws the app's basemap
tiles (land, rivers, lakes, place names in the page's language) under the map's own layers.

The element brings its scripts (protomaps-leaflet and atlas-basemap.js) into the page's head,
so any Folium map of the app can have the basemap with one call to :func:`add_basemap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from parks.basemap import MAP_ATTRIBUTION


@dataclass(frozen=True)
class BasemapSpec:
    """Where a page finds the basemap: its tiles (what its TileJSON says, given in the page to
    save a request before the first tile) and the two scripts that draw it."""

    tiles: str  # the tile URL template, {z}/{x}/{y} open, with its version
    minzoom: int  # below it the map shows the land colour alone
    maxzoom: int  # the map over-zooms the tiles of this zoom
    bounds: tuple[float, float, float, float]  # west, south, east, north
    protomaps_js: str
    basemap_js: str


class VectorBasemap(JSCSSMixin, MacroElement):
    _template = Template("""{% macro script(this, kwargs) %}
    window.atlasBasemap.add({{ this._parent.get_name() }}, {{ this.options|tojson }});
{% endmacro %}""")

    def __init__(self, spec: BasemapSpec, options: dict):
        super().__init__()
        self._name = "VectorBasemap"
        self.default_js = [("protomaps_leaflet", spec.protomaps_js), ("atlas_basemap", spec.basemap_js)]
        self.options = options


def add_basemap(m: folium.Map, spec: BasemapSpec | None, *, lang: str, raster: bool) -> None:
    """Draw the offline basemap under ``m``'s layers (nothing when ``spec`` is None). With a
    ``raster`` basemap configured, the land is the raster's and only water and names are drawn."""
    if spec is not None:
        options = {"tiles": spec.tiles, "minzoom": spec.minzoom, "maxzoom": spec.maxzoom,
                   "bounds": spec.bounds, "lang": lang, "raster": raster, "attribution": MAP_ATTRIBUTION}
        VectorBasemap(spec, options).add_to(m)
