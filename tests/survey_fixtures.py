"""Survey patches built in code, stored as :mod:`store.survey` reads them (GeoParquet per year
and its import record), for the tests of measured indicators and pages."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyarrow as pa
import shapely

from store import survey
from store.geoparquet import GeoParquetWriter
from store.land_classes import classify

#: (DLBM, DLMC) used in the grids: industrial, housing, dry land, forest, bare land
CODES = (("0601", "工业用地"), ("0701", "城镇住宅用地"), ("0103", "旱地"), ("0301", "乔木林地"),
         ("1206", "裸土地"))


def grid_patches(area, *, built_share: float, cell_deg: float = 0.002, seed: int = 0) -> gpd.GeoDataFrame:
    """Square patches over ``area``'s bounding box (a little beyond it); about ``built_share``
    of them construction land (half industrial), the rest dry land, forest and bare land."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.bounds
    xs = np.arange(minx - 2 * cell_deg, maxx + 2 * cell_deg, cell_deg)
    ys = np.arange(miny - 2 * cell_deg, maxy + 2 * cell_deg, cell_deg)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    geoms = shapely.box(x, y, x + cell_deg, y + cell_deg)
    built = rng.random(len(geoms)) < built_share
    pick = np.where(built, rng.integers(0, 2, len(geoms)), rng.integers(2, 5, len(geoms)))
    return patches_frame(geoms, [CODES[i][0] for i in pick])


def patches_frame(geoms, codes) -> gpd.GeoDataFrame:
    names = dict(CODES)
    gdf = gpd.GeoDataFrame({"BSM": [f"T{i:08d}" for i in range(len(codes))], "DLBM": list(codes),
                            "DLMC": [names.get(c, "") for c in codes]}, geometry=list(geoms), crs=4490)
    tbmj = gdf.to_crs(4547).area.to_numpy()  # the survey's own figure; indicators measure anew
    gdf["TBMJ"], gdf["KCMJ"], gdf["TBDLMJ"], gdf["SJNF"] = tbmj, 0.0, tbmj, 2019
    for key, values in classify(gdf["DLBM"]).items():
        gdf[key] = values
    return gdf


def store_survey(data_dir, year: int, gdf: gpd.GeoDataFrame) -> None:
    """Write ``gdf`` as the stored survey of ``year`` (the files an import leaves)."""
    attributes = pa.Table.from_pandas(gdf.drop(columns="geometry"), preserve_index=False)
    with GeoParquetWriter(survey.survey_file(data_dir, year)) as writer:
        writer.write(attributes, gdf.geometry.to_numpy())
    survey.survey_meta_path(data_dir, year).write_text(json.dumps(
        {"year": year, "features": len(gdf), "engine": survey.GEOPARQUET, "source": "test grid"}),
        encoding="utf-8")
