"""Leaflet style dicts for features, from the shared visual grammar in :mod:`layers.styles`.

A footprint's outline says its geometry basis (schematic = dashed); a marker's shape says its
coordinate precision (filled dot, translucent ring, hollow dashed ring for a seat).
"""

from __future__ import annotations

from layers.styles import BASIS_DASH, BOUNDARY_STYLE, FOOTPRINT_FILL_OPACITY, PRECISION_MARKER, colour_for


def marker_style(layer: str, props: dict) -> dict:
    """CircleMarker options for a point of ``layer`` at its precision class (``loc_prec``)."""
    colour = colour_for(layer, props)
    look = PRECISION_MARKER.get(props.get("loc_prec"), PRECISION_MARKER["district"])
    return {"radius": look["radius"], "color": colour, "weight": 2, "opacity": 1, "fill": True,
            "fillColor": colour, "fillOpacity": look["fill_opacity"], "dashArray": look["dash"]}


def footprint_style(layer: str, props: dict) -> dict:
    """Polygon options for a footprint of ``layer`` by its geometry basis (``geom_basis``)."""
    colour = colour_for(layer, props)
    return {"color": colour, "weight": 2, "opacity": 0.9, "fill": True, "fillColor": colour,
            "fillOpacity": FOOTPRINT_FILL_OPACITY, "dashArray": BASIS_DASH.get(props.get("geom_basis"))}


def boundary_style(level: str) -> dict:
    s = BOUNDARY_STYLE[level]
    return {"color": s["color"], "weight": s["weight"], "fill": s["fill"], "opacity": 1}
