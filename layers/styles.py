"""One palette and one visual grammar for every map, interactive or printed.

* colour says the layer (and, for projects, the plan sector);
* line style says the geometry's basis: schematic footprints are dashed, surveyed/user ones solid;
* marker shape says coordinate precision: a filled dot is a plant coordinate, a ring a district
  point, a hollow dashed ring a city/county seat (the real site is somewhere around it).
"""

from __future__ import annotations

import math

from parks.checks import FAIL, PASS, REVIEW

LAYER_COLOURS = {
    "parks": "#d1495b",
    "zones": "#00798c",
    "foxconn": "#edae49",
    "projects": "#30638e",
    "clusters": "#6a4c93",
}

SECTOR_COLOURS = {
    "生物": "#2a9d8f",
    "新材料": "#8d6a9f",
    "新能源": "#e9c46a",
    "新能源汽车": "#264653",
}

BOUNDARY_STYLE = {
    "province": {"color": "#333333", "weight": 2.0, "fill": False},
    "city": {"color": "#666666", "weight": 1.0, "fill": False},
    "county": {"color": "#aaaaaa", "weight": 0.5, "fill": False},
}

#: Leaflet dashArray / matplotlib linestyle per geometry basis
BASIS_DASH = {"schematic": "6 4", "user": None, "sourced": None}
BASIS_MPL_LINESTYLE = {"schematic": (0, (4, 3)), "user": "solid", "sourced": "solid"}

#: marker look per coordinate precision: (radius px, fill opacity, dash)
PRECISION_MARKER = {
    "site": {"radius": 6, "fill_opacity": 0.9, "dash": None},
    "district": {"radius": 7, "fill_opacity": 0.35, "dash": None},
    "city seat": {"radius": 9, "fill_opacity": 0.0, "dash": "3 3"},
    "county seat": {"radius": 9, "fill_opacity": 0.0, "dash": "3 3"},
}


def colour_for(layer: str, properties: dict | None = None) -> str:
    if layer == "projects" and properties and properties.get("sector_zh") in SECTOR_COLOURS:
        return SECTOR_COLOURS[properties["sector_zh"]]
    return LAYER_COLOURS[layer]


#: sequential ramp for choropleths (ColorBrewer OrRd, 4 classes), and the colour of "none"
SEQUENTIAL_RAMP = ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f")
NO_VALUE_COLOUR = "#eeeeee"


def ramp_class(value, vmax: float, classes: int = len(SEQUENTIAL_RAMP)) -> int | None:
    """Equal-interval class (0-based) of ``value`` in (0, vmax]; None for zero or no value."""
    if value is None or value != value or value <= 0 or not vmax:
        return None
    return min(classes - 1, max(0, math.ceil(value * classes / vmax) - 1))


def ramp_colour(value, vmax: float) -> str:
    cls = ramp_class(value, vmax)
    return NO_VALUE_COLOUR if cls is None else SEQUENTIAL_RAMP[cls]

#: the offline basemap, quiet under the thematic layers: water, rivers, and place names by rank
#: (1 city, 2 county, 3 town); ``static/js/atlas-basemap.js`` draws the same colours on screen
WATER_COLOUR = "#a9c8e8"
RIVER_COLOUR = "#7fa9d6"
PLACE_COLOURS = {1: "#3a3a3a", 2: "#555555", 3: "#6f6f6f"}

#: fill opacity of footprints, on screen and on paper
FOOTPRINT_FILL_OPACITY = 0.15
#: parcel-check verdicts, and parcels already in the ledger
VERDICT_COLOURS = {PASS: "#2e7d32", REVIEW: "#e0a800", FAIL: "#c62828"}
ALLOCATED_COLOUR = "#555555"
