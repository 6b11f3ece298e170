"""What lies inside or near a park: zones, Foxconn sites, projects, clusters and other parks.

Distances are planar, in the park's own CGCS2000 3° Gauss–Krüger zone, measured from the park's
schematic footprint (or its point when it has none) to each feature's footprint or point. They are
only as good as both locations: a feature placed at a county seat may be kilometres from its site.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.crs import gk_epsg
from parks.catalog import Catalog

NEAR_KM = 5.0
#: layers searched, in the order they are listed
NEIGHBOUR_LAYERS = ("zones", "foxconn", "projects", "clusters", "parks")
COLUMNS = ["layer", "id", "name_zh", "name_en", "loc_prec", "distance_km", "in_footprint"]


def park_record(catalog: Catalog, park_id: str) -> dict:
    """One row of the parks layer as a dict (``geometry`` included). Raises KeyError if unknown."""
    parks = catalog.layer("parks")
    match = parks[parks["id"] == park_id]
    if match.empty:
        raise KeyError(park_id)
    return match.iloc[0].to_dict()


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
    anchor = gpd.GeoSeries([park["geometry"]], crs=catalog.layer("parks").crs).to_crs(zone).iloc[0]
    found = []
    for name in NEIGHBOUR_LAYERS:
        gdf = catalog.layer(name)
        gdf = gdf[gdf.geometry.notna() & (gdf["id"] != park_id)]
        if gdf.empty:
            continue
        distance_m = gdf.geometry.to_crs(zone).distance(anchor)
        gdf = gdf.assign(layer=name, distance_km=distance_m / 1000, in_footprint=distance_m == 0)
        found.append(pd.DataFrame(gdf.loc[distance_m <= radius_km * 1000, COLUMNS]))
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    return out.sort_values("distance_km", kind="stable", ignore_index=True)
