"""Layers as downloadable files: which frame, which notes, which id — the writing is geo's.

Used by the API (``/api/layers/<name>?format=…``), the download page and ``flask layer export``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from core.errors import UserError
from geo.crs import CGCS2000
from geo.vector_write import VectorFile, write_vector
from parks import provenance as pv
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import BOUNDARY_LEVELS, LAYERS, Catalog
from parks.footprints import RULES
from parks.summary import EVEN_SPLIT_RULE

#: the feature id of each kind of layer (boundaries are keyed by their administrative code)
ID_FIELD = {"boundaries": "adcode"}
DEFAULT_ID_FIELD = "id"
LABEL_FIELD = "name_zh"


class UnknownLayer(UserError):
    status = 404


def id_field(name: str) -> str:
    return ID_FIELD.get(name, DEFAULT_ID_FIELD)


def check_layer(name: str, level: str | None = None) -> None:
    """Raise UnknownLayer (404) for an unknown layer, or a level on a layer that has none."""
    if name not in LAYERS:
        names = ", ".join(LAYERS)
        raise UnknownLayer(f"没有名为“{name}”的图层。可选：{names}。",
                           f"No layer named '{name}'. Layers: {names}.", code="unknown_layer")
    if level is not None and (name != "boundaries" or level not in BOUNDARY_LEVELS):
        levels = ", ".join(BOUNDARY_LEVELS)
        raise UserError(f"level 只适用于 boundaries 图层，须为 {levels} 之一。",
                            f"level applies to the boundaries layer only and must be one of {levels}.",
                            code="bad_parameter")


def layer_frame(catalog: Catalog, name: str, *, level: str | None = None,
                tolerance_m: float = 0.0) -> gpd.GeoDataFrame:
    """The layer as served, in CGCS2000: thematic layers with evidence joined, or boundaries
    (one level, or all three with their ``level`` column) at ``tolerance_m`` (0 = full detail)."""
    check_layer(name, level)
    if name != "boundaries":
        return catalog.layer(name)
    frames = [catalog.boundaries(lv, tolerance_m) for lv in ([level] if level else BOUNDARY_LEVELS)]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)


def about_text(catalog: Catalog, name: str, *, level: str | None = None) -> str:
    """The plain-text note that travels with a download: what it is, its basis, credits, version."""
    info = LAYERS[name]
    lines = [f"{info.title_zh}{f'（{level}）' if level else ''}",
             f"{info.title_en}{f' ({level})' if level else ''}",
             info.description_zh, info.description_en, "",
             "依据 Basis（geom_basis、fig_basis 等字段）:"]
    lines += [f"  {key} = {zh} / {en}" for key, (zh, en) in pv.LABELS.items()]
    if name == "boundaries":
        lines += ["", CREDIT_ZH, CREDIT_EN]
    else:
        if name == "parks":
            lines += [f"  {pv.DERIVED}: {EVEN_SPLIT_RULE[0]} / {EVEN_SPLIT_RULE[1]}"]
        lines += ["几何规则 geom_rule:"]
        lines += [f"  {code} = {zh} / {en}" for code, (zh, en) in RULES.items()]
        lines += ["", "来源：《河南省推动科技创新培育战略性新兴产业专项工作方案》（2012-11-01）及 "
                      "data/sources/sites.csv 所列出处（source 字段）。",
                  "Sources: the 2012 Henan SEI plan and the sources in each feature's `source` field."]
    lines += [f"数据版本 Data version: {catalog.data_version()}"]
    return "\n".join(lines)


def download_layer(catalog: Catalog, name: str, fmt: str, crs, *, level: str | None = None,
                   tolerance_m: float | None = None) -> VectorFile:
    """The layer written as ``fmt`` in EPSG ``crs`` (full detail unless ``tolerance_m`` is given).

    Raises UserError for an unknown layer, level, format or CRS.
    """
    gdf = layer_frame(catalog, name, level=level, tolerance_m=tolerance_m or 0.0)
    file_name = f"{name}_{level}" if level else name
    return write_vector(gdf, fmt, crs, file_name, about=about_text(catalog, name, level=level),
                        id_field=id_field(name), label_field=LABEL_FIELD)


def feature_count(catalog: Catalog, name: str, *, level: str | None = None) -> int:
    """How many features a download holds (for the page and ``flask layer list``)."""
    if name == "boundaries":
        levels = [level] if level else BOUNDARY_LEVELS
        return sum(len(catalog.boundaries(lv, 0)) for lv in levels)
    return len(catalog.layer(name))
