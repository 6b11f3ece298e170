"""GeoJSON's names for shapely's geometry type ids (a LinearRing is a LineString there)."""

from __future__ import annotations

import numpy as np
import shapely

GEOJSON_TYPES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
                 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def type_names(geoms) -> set[str]:
    """The GeoJSON type names among ``geoms`` (missing geometries left out)."""
    return {GEOJSON_TYPES[t] for t in np.unique(shapely.get_type_id(geoms)).tolist() if t >= 0}
