"""Writing a layer as a file people open in QGIS, ArcGIS, Google Earth or Excel.

One entry point, :func:`write_vector`, turns a GeoDataFrame into a download in one of
:data:`FORMATS` and one of :data:`DOWNLOAD_EPSG`. Every format goes through GDAL (pyogrio), so
there is one implementation for all; the file is written in a temporary folder and handed over as
a temporary file (:class:`VectorFile`) the caller streams or moves, never read into memory.
A layer too big to hold whole is written batch by batch, each appended to the file, in the
formats GDAL appends to cheaply (:data:`APPENDABLE`); GeoJSON and KML are rewritten whole on
every append, so they are written from one frame only.

Format notes:

* Shapefile is a zip with ``.shp .shx .dbf .prj .cpg`` (UTF-8) and a ``README.txt``. DBF field
  names stop at 10 bytes and text at 254 bytes: longer names are shortened (the README lists
  the mapping) and longer texts cut at a UTF-8 character boundary, with the full texts shipped in
  a ``*_fulltext.csv`` beside the Shapefile.
* CSV is UTF-8 with a byte-order mark (so Excel shows Chinese), geometry as WKT in the first column;
  text a spreadsheet would run as a formula (``=…``) is written as text
  (:func:`core.spreadsheet.safe_cell`), here and in the Shapefile's full-text CSV.
* KML is longitude/latitude by definition: only EPSG:4326 or EPSG:4490 (the same numbers, see
  :mod:`geo.crs`) are accepted for it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from core.spreadsheet import safe_cell
from geo.crs import CGCS2000, GK_ZONES, WGS84, is_geographic_cgcs2000_like
from geo.errors import CRSError, GeoInputError
from geo.scratch import keep, scratch_folder


@dataclass(frozen=True)
class Format:
    driver: str
    extension: str
    mimetype: str
    label_zh: str
    label_en: str


FORMATS = {
    "gpkg": Format("GPKG", ".gpkg", "application/geopackage+sqlite3", "GeoPackage", "GeoPackage"),
    "shp": Format("ESRI Shapefile", ".zip", "application/zip", "Shapefile（zip 压缩包）",
                  "Shapefile (zipped)"),
    "geojson": Format("GeoJSON", ".geojson", "application/geo+json", "GeoJSON", "GeoJSON"),
    "csv": Format("CSV", ".csv", "text/csv; charset=utf-8", "CSV（Excel 可直接打开）",
                  "CSV (opens in Excel)"),
    "kml": Format("LIBKML", ".kml", "application/vnd.google-earth.kml+xml", "KML（奥维、Google 地球）",
                  "KML (Google Earth)"),
}

#: EPSG code -> (zh, en) label, in the order offered to users
DOWNLOAD_EPSG = {
    CGCS2000: ("CGCS2000 经纬度", "CGCS2000 longitude/latitude"),
    WGS84: ("WGS84 经纬度", "WGS84 longitude/latitude"),
    **{plain: (f"CGCS2000 3°带 高斯-克吕格 中央经线 {cm}°E（无带号）",
               f"CGCS2000 3° Gauss–Krüger, CM {cm}°E (no zone prefix)")
       for cm, (plain, _, _) in GK_ZONES.items()},
    **{prefixed: (f"CGCS2000 3°带 高斯-克吕格 第 {zone} 带（带号前缀）",
                  f"CGCS2000 3° Gauss–Krüger zone {zone} (zone-prefixed eastings)")
       for _, prefixed, zone in GK_ZONES.values()},
}

#: formats written batch by batch (GDAL appends to the file); the others from one frame
APPENDABLE = ("gpkg", "shp", "csv")

#: the only coordinate systems KML can hold
KML_EPSG = (WGS84, CGCS2000)

#: the GeoPackage version downloads declare: 1.4 where GDAL writes it (3.7+), else 1.3, never
#: the 1.2 that older GDALs default to
GPKG_VERSION = "1.4" if pyogrio.__gdal_version__ >= (3, 7, 0) else "1.3"

DBF_NAME_BYTES = 10
DBF_TEXT_BYTES = 254

#: the temporary folders downloads are written in, and the finished files (geo.scratch)
DOWNLOAD_PREFIX = "sei-download-"


@dataclass(frozen=True)
class VectorFile:
    """A finished download: a temporary file its holder owns (``path``, ``size`` bytes), the
    name to give it and its media type. :meth:`close` — or leaving ``with file:`` — removes the
    file; :meth:`move_to` keeps it elsewhere instead."""

    path: Path
    filename: str
    mimetype: str
    size: int

    def move_to(self, dest: Path) -> Path:
        """Move the file to ``dest`` (replacing a file there) without reading it; returns ``dest``."""
        shutil.move(self.path, dest)
        return dest

    def close(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> VectorFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def parse_format(value: str) -> str:
    """The format key for ``value`` (case-insensitive); raises GeoInputError naming the choices."""
    key = (value or "").strip().lower()
    if key not in FORMATS:
        accepted = ", ".join(FORMATS)
        raise GeoInputError(f"不支持的格式“{value}”。可选：{accepted}。",
                            f"Unsupported format '{value}'. Accepted: {accepted}.",
                            code="bad_format", details={"accepted": list(FORMATS)})
    return key


def parse_download_crs(value) -> int:
    """The EPSG code for ``value`` ("4547", "EPSG:4547", 4547); raises CRSError naming the choices."""
    text = str(value).strip().upper().removeprefix("EPSG:")
    if not text.isdigit() or int(text) not in DOWNLOAD_EPSG:
        accepted = ", ".join(str(code) for code in DOWNLOAD_EPSG)
        raise CRSError(f"不支持的坐标系“{value}”。可选 EPSG 代码：{accepted}。",
                       f"Unsupported coordinate system '{value}'. Accepted EPSG codes: {accepted}.",
                       code="bad_crs", candidates=list(DOWNLOAD_EPSG))
    return int(text)


def write_vector(gdf: gpd.GeoDataFrame | Iterable[gpd.GeoDataFrame], fmt: str, crs, name: str, *,
                 about: str = "", id_field: str | None = None,
                 label_field: str | None = None) -> VectorFile:
    """Write ``gdf`` as format ``fmt`` in EPSG ``crs`` and return the file, which the caller
    removes (:class:`VectorFile`; nothing is left behind when this raises). ``gdf`` may be
    batches of one layer (same columns, in order) when ``fmt`` is :data:`APPENDABLE`: each is
    written and let go before the next is read.

    ``name`` becomes the layer and file name (ASCII letters, digits, ``_`` and ``-``); ``about``
    is a plain-text note stored where the format has room for one (GeoPackage and GeoJSON layer
    description, KML document, the Shapefile's README.txt); ``id_field`` keys the Shapefile's
    full-text CSV and becomes the GeoJSON feature id; ``label_field`` names KML placemarks.

    Raises GeoInputError for an unknown format, CRS, or a CRS the format cannot hold.
    """
    fmt = parse_format(fmt)
    code = parse_download_crs(crs)
    if fmt == "kml" and code not in KML_EPSG:
        raise CRSError("KML 只能使用经纬度坐标：请选择 EPSG:4326 或 4490。",
                       "KML holds longitude/latitude only: choose EPSG:4326 or 4490.",
                       code="bad_crs", candidates=list(KML_EPSG))
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"layer name {name!r} must be ASCII letters, digits, '_' or '-'")
    batches = (_to_epsg(batch, code) for batch in
               ([gdf] if isinstance(gdf, gpd.GeoDataFrame) else gdf))
    stem = f"{name}_EPSG{code}"
    filename = f"{stem}{FORMATS[fmt].extension}"
    with scratch_folder(DOWNLOAD_PREFIX) as folder:
        if fmt == "shp":
            path = _write_shapefile_zip(batches, folder, stem, name, code, about, id_field)
        else:
            path = folder / filename
            for i, out in enumerate(batches):
                if i and fmt not in APPENDABLE:
                    raise ValueError(f"{fmt} is written from one frame, not in batches")
                if fmt == "kml" and label_field:
                    out = out.assign(Name=out[label_field])  # LIBKML names placemarks from "Name"
                if fmt == "csv":
                    out = _spreadsheet_safe(out)
                layer = path.stem if fmt == "csv" else name  # a CSV's one layer is its file
                _write(out, path, fmt, layer, _layer_options(fmt, code, about, id_field), append=i > 0)
        size = path.stat().st_size
        return VectorFile(keep(path, DOWNLOAD_PREFIX), filename, FORMATS[fmt].mimetype, size)


def _to_epsg(gdf: gpd.GeoDataFrame, code: int) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("layer has no CRS")
    if is_geographic_cgcs2000_like(gdf.crs) and code in KML_EPSG:
        return gdf.set_crs(code, allow_override=True)  # same numbers (geo.crs)
    return gdf.to_crs(code)


def _layer_options(fmt: str, code: int, about: str, id_field: str | None) -> dict:
    """GDAL layer creation options per format (empty values are left out)."""
    options = {
        "gpkg": {"DESCRIPTION": about},
        # about a millimetre in degrees or in metres
        "geojson": {"DESCRIPTION": about, "ID_FIELD": id_field,
                    "COORDINATE_PRECISION": "8" if code in KML_EPSG else "3"},
        # the .csvt types the columns when a batch is appended (it is not part of the download)
        "csv": {"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES", "LINEFORMAT": "CRLF", "CREATE_CSVT": "YES"},
        "kml": {"DESCRIPTION": about},
    }[fmt]
    return {k: v for k, v in options.items() if v}


def _write(gdf, path: Path, fmt: str, layer: str, options: dict, *, append: bool = False) -> None:
    """Write ``gdf`` to ``path`` (creating it), or ``append`` its features to the layer there."""
    gdf.to_file(path, driver=FORMATS[fmt].driver, layer=layer, engine="pyogrio",
                encoding="UTF-8", layer_options=None if append else options,
                dataset_options={"VERSION": GPKG_VERSION} if fmt == "gpkg" and not append else None,
                mode="a" if append else "w")


def dbf_field_names(columns) -> dict[str, str]:
    """Column -> a unique DBF field name of at most 10 UTF-8 bytes (unchanged when it fits).

    The limit is in bytes, so 园区名称 (12 bytes) becomes 园区名, never a broken character.
    """
    def fits(name: str) -> bool:
        return len(name.encode("utf-8")) <= DBF_NAME_BYTES

    names: dict[str, str] = {}
    taken = {c for c in columns if fits(c)}
    for col in columns:
        if fits(col):
            names[col] = col
            continue
        short, n = truncate_utf8(col, DBF_NAME_BYTES), 1
        while short in taken:
            suffix = f"_{n}"
            short, n = truncate_utf8(col, DBF_NAME_BYTES - len(suffix)) + suffix, n + 1
        taken.add(short)
        names[col] = short
    return names


def truncate_utf8(text: str, limit: int = DBF_TEXT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _fit_dbf(gdf: gpd.GeoDataFrame):
    """The frame with DBF-safe names and texts, the renamed columns and the cut values per column."""
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    renamed = {c: short for c, short in dbf_field_names(attrs).items() if c != short}
    out, cut = gdf.copy(), {}
    for col in attrs:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype(object)
            over = text.map(lambda v: isinstance(v, str) and len(v.encode("utf-8")) > DBF_TEXT_BYTES)
            if over.any():
                cut[col] = over.to_numpy()
                out[col] = text.map(lambda v: truncate_utf8(v) if isinstance(v, str) else v)
    return out.rename(columns=renamed), renamed, cut


def _write_shapefile_zip(batches: Iterable[gpd.GeoDataFrame], folder: Path, stem: str, name: str,
                         code: int, about: str, id_field: str | None) -> Path:
    """The Shapefile of ``batches`` written in ``folder`` and zipped there; returns the zip."""
    cut_rows, counts, records = [], {}, 0  # the rows with a cut text; cut texts per column
    for i, gdf in enumerate(batches):
        fitted, renamed, cut = _fit_dbf(gdf)
        if i == 0:
            id_field = id_field if id_field in gdf.columns else None
            columns = list(gdf.columns)
        _write(fitted, folder / f"{stem}.shp", "shp", stem, {}, append=i > 0)
        if cut:
            cut_rows.append(_cut_rows(gdf, cut, records))
        for col, mask in cut.items():
            counts[col] = counts.get(col, 0) + int(mask.sum())
        records += len(gdf)
    fulltext = f"{stem}_fulltext.csv" if counts else None
    path = folder / f"{stem}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            zf.write(folder / f"{stem}{ext}", f"{stem}{ext}")
        if fulltext:
            zf.writestr(fulltext, _fulltext_csv(pd.concat(cut_rows, ignore_index=True),
                                                [c for c in columns if c in counts], id_field))
        zf.writestr("README.txt", _shapefile_readme(name, code, about, renamed, counts, fulltext,
                                                    id_field).encode("utf-8-sig"))
    return path


def _cut_rows(gdf: gpd.GeoDataFrame, cut: dict, before: int) -> pd.DataFrame:
    """The rows of ``gdf`` with a cut text (every column but the geometry), with their record
    number (``gdf`` follows ``before`` records)."""
    rows = pd.Series(False, index=range(len(gdf)))
    for mask in cut.values():
        rows |= mask
    table = gdf.reset_index(drop=True).drop(columns=gdf.geometry.name).loc[rows.to_numpy()]
    return table.assign(record=before + table.index + 1)


def _fulltext_csv(rows: pd.DataFrame, cut: list[str], id_field: str | None) -> bytes:
    """The rows with a cut text, keyed by record number (and ``id_field``), with the full
    texts of the ``cut`` columns."""
    table = _spreadsheet_safe(rows[([id_field] if id_field else []) + cut])
    table.insert(0, "record", rows["record"])
    out = io.StringIO()
    table.to_csv(out, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return out.getvalue().encode("utf-8-sig")


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through :func:`core.spreadsheet.safe_cell`."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(**{c: frame[c].map(safe_cell) for c in text})


def _shapefile_readme(name, code, about, renamed, counts, fulltext, id_field) -> str:
    zh, en = DOWNLOAD_EPSG[code]
    lines = [f"{name} — Shapefile", "", *about.strip().splitlines(), "",
             f"坐标系 Coordinate system: EPSG:{code} {zh} / {en}（.prj）",
             "编码 Encoding: UTF-8（.cpg）", ""]
    if renamed:
        lines += ["字段名超过 10 字节，已缩短 / Field names longer than 10 bytes were shortened:"]
        lines += [f"  {short} = {full}" for full, short in renamed.items()] + [""]
    if counts:
        key = f"record（DBF 记录号）与 {id_field}" if id_field else "record（DBF 记录号）"
        lines += [
            f"DBF 文本字段最长 {DBF_TEXT_BYTES} 字节，以下字段的较长文字已在完整汉字处截断；"
            f"全文见 {fulltext}（UTF-8，按 {key} 关联）。",
            f"DBF text fields hold at most {DBF_TEXT_BYTES} bytes: longer texts in these fields were "
            f"cut at a character boundary; the full texts are in {fulltext} (UTF-8, joined by "
            f"record{' and ' + id_field if id_field else ''}).",
        ]
        lines += [f"  {renamed.get(col, col)}: {n}" for col, n in counts.items()]
        lines.append("")
    lines += ["如需完整字段名与全文，请下载 GeoPackage。",
              "For full field names and texts, download the GeoPackage."]
    return "\r\n".join(lines) + "\r\n"
