"""Layers as downloadable files: which frame, which notes, which id — the writing is geo's.

Used by the API (``/api/layers/<name>?format=…``), the download page and ``flask layer export``.
A big thematic layer (:meth:`~parks.catalog.Catalog.is_big`) is never loaded whole: it is read
and written :data:`DOWNLOAD_BATCH` features at a time, in the formats that can be written so
(:data:`~geo.vector_write.APPENDABLE`); GeoJSON and KML of it are refused, pointing to those
formats and to the OGC API's pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd

from core.errors import UserError
from geo.crs import CGCS2000
from geo.vector_write import APPENDABLE, FORMATS, VectorFile, parse_format, write_vector
from parks import provenance as pv
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import BOUNDARY_LEVELS, LAYERS, Catalog
from parks.footprints import RULES
from parks.summary import EVEN_SPLIT_RULE

#: the feature id of each kind of layer (boundaries are keyed by their administrative code)
ID_FIELD = {"boundaries": "adcode"}
DEFAULT_ID_FIELD = "id"
LABEL_FIELD = "name_zh"
#: features of a big layer read and written at a time (tens of MB of frame)
DOWNLOAD_BATCH = 50_000


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
    (one level, or all three with their ``level`` column) at ``tolerance_m`` (0 = full detail).
    Raises UserError for a big layer (:meth:`~parks.catalog.Catalog.is_big`): it is never
    loaded whole in a request."""
    check_layer(name, level)
    if _never_whole(catalog, name):
        raise _too_big(name, catalog.feature_count(name), "geojson")
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
    """The layer written as ``fmt`` in EPSG ``crs`` (full detail unless ``tolerance_m`` is given),
    as a temporary file the caller removes (:class:`~geo.vector_write.VectorFile`).

    Raises UserError for an unknown layer, level, format or CRS, or a format a big layer cannot
    be written in.
    """
    check_layer(name, level)
    if _never_whole(catalog, name):
        gdf = _batches(catalog, name, parse_format(fmt))
    else:
        gdf = layer_frame(catalog, name, level=level, tolerance_m=tolerance_m or 0.0)
    file_name = f"{name}_{level}" if level else name
    return write_vector(gdf, fmt, crs, file_name, about=about_text(catalog, name, level=level),
                        id_field=id_field(name), label_field=LABEL_FIELD)


def download_formats(catalog: Catalog, name: str) -> list[str]:
    """The formats ``name`` downloads in: every one, or for a big layer those written in batches."""
    return list(APPENDABLE if _never_whole(catalog, name) else FORMATS)


def _never_whole(catalog: Catalog, name: str) -> bool:
    """A big thematic layer: read and written in batches, never loaded whole in a request."""
    return name != "boundaries" and catalog.is_big(name)


def _batches(catalog: Catalog, name: str, fmt: str) -> Iterator[gpd.GeoDataFrame]:
    """Big layer ``name`` as consecutive batches of features (evidence joined, CGCS2000), read
    as they are written. Raises UserError when ``fmt`` is written whole only."""
    count = catalog.feature_count(name)
    if fmt not in APPENDABLE:
        raise _too_big(name, count, fmt)
    return (catalog.features(name, np.arange(start, min(start + DOWNLOAD_BATCH, count)))
            for start in range(0, count, DOWNLOAD_BATCH))


def _too_big(name: str, count: int, fmt: str) -> UserError:
    labels = [FORMATS[f] for f in APPENDABLE]
    return UserError(
        f"图层“{name}”有 {count:,} 个要素，太大，不能生成 {FORMATS[fmt].label_zh} 文件。"
        f"请选择 {'、'.join(f.label_zh for f in labels)} 格式下载；"
        f"如需 GeoJSON，可从 OGC API 分页获取：/ogc/collections/{name}/items。",
        f"Layer '{name}' has {count:,} features: too big for a {FORMATS[fmt].label_en} file. "
        f"Download it as {', '.join(f.label_en for f in labels)}; for GeoJSON, page through "
        f"the OGC API: /ogc/collections/{name}/items.",
        code="too_big_for_format", details={"accepted": list(APPENDABLE)})


def feature_count(catalog: Catalog, name: str, *, level: str | None = None) -> int:
    """How many features a download holds (for the page and ``flask layer list``)."""
    if name == "boundaries":
        levels = [level] if level else BOUNDARY_LEVELS
        return sum(len(catalog.boundaries(lv, 0)) for lv in levels)
    return catalog.feature_count(name)
