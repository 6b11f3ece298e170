"""What lies inside or near a park: zones, Foxconn sites, projects, clusters and other parks.

Distances are planar, in the park's own CGCS2000 3° Gauss–Krüger zone, measured from the park's
schematic footprint (or its point when it has none) to each feature's footprint or point. They are
only as good as both locations: a feature placed at a county seat may be kilometres from its site.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd

from geo.crs import CGCS2000, gk_epsg
from parks.catalog import Catalog

NEAR_KM = 5.0
#: layers searched, in the order they are listed
NEIGHBOUR_LAYERS = ("zones", "foxconn", "projects", "clusters", "parks")
COLUMNS = ["layer", "id", "name_zh", "name_en", "loc_prec", "distance_km", "in_footprint"]


def park_record(catalog: Catalog, park_id: str) -> dict:
    """One row of the parks layer as a dict (``geometry`` included). Raises KeyError if unknown."""
    match = catalog.features("parks", catalog.positions("parks", [park_id]))
    if match.empty:
        raise KeyError(park_id)
    return match.iloc[0].to_dict()


def _around(geometry, radius_km: float) -> tuple[float, float, float, float]:
    """A box in degrees holding everything within ``radius_km`` of ``geometry`` (a degree of
    latitude is at least 110.5 km; one of longitude that times the cosine of the latitude)."""
    minx, miny, maxx, maxy = geometry.bounds
    dlat = radius_km / 110.0
    dlon = dlat / max(math.cos(math.radians(max(abs(miny), abs(maxy)))), 0.01)
    return minx - dlon, miny - dlat, maxx + dlon, maxy + dlat


def nearby(catalog: Catalog, park_id: str, *, radius_km: float = NEAR_KM) -> pd.DataFrame:
    """Features within ``radius_km`` of a park, nearest first (columns :data:`COLUMNS`).

    ``in_footprint`` is True where the feature touches the park's schematic footprint, i.e. lies
    within the circle drawn to show the park's size — not within a surveyed boundary. An unlocated
    park has no neighbours. Raises KeyError for an unknown park.
    """
    park = park_record(catalog, park_id)
    if park["geometry"] is None:
        return pd.DataFrame(columns=COLUMNS)
    zone = gk_epsg(park["lon"])
    anchor = gpd.GeoSeries([park["geometry"]], crs=CGCS2000).to_crs(zone).iloc[0]
    box = _around(park["geometry"], radius_km)
    found = []
    for name in NEIGHBOUR_LAYERS:
        gdf = catalog.features(name, catalog.positions_in(name, box))  # only the features around
        gdf = gdf[gdf.geometry.notna() & (gdf["id"] != park_id)]
        if gdf.empty:
            continue
        distance_m = gdf.geometry.to_crs(zone).distance(anchor)
        gdf = gdf.assign(layer=name, distance_km=distance_m / 1000, in_footprint=distance_m == 0)
        found.append(pd.DataFrame(gdf.loc[distance_m <= radius_km * 1000, COLUMNS]))
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    return out.sort_values("distance_km", kind="stable", ignore_index=True)
