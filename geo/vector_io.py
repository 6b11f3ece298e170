"""Reading the vector files staff upload, whatever shape real deliveries come in.

:func:`read_vector` takes a zipped Shapefile, GeoPackage, GeoJSON, KML/KMZ, a 界址点 coordinate
text file or a CSV of points, works out its CRS and attribute encoding, and returns a
GeoDataFrame in CGCS2000 with valid geometries and bilingual notes on every decision made.
Everything is read inside a temporary folder that is always removed (and one a killed worker
left behind is removed by the next upload); nothing is written elsewhere. The work one file may
cause is bounded (:mod:`geo.budget`: records, vertices, seconds, temporary space). Bad input
raises :class:`~geo.errors.GeoInputError` (or :class:`~geo.errors.CRSError`)
with a stable ``code`` — see docs/data-import.md, "Reading uploaded vector files", for the list.
"""

from __future__ import annotations

import re
import shutil
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo import budget, gpkg, jzd, textenc
from geo.archive import extract_zip
from geo.budget import Deadline, check_records, check_vertices, too_many_records
from geo.crs import CGCS2000, crs_label, get_crs, identify_epsg, is_geographic_cgcs2000_like, resolve_crs
from geo.errors import CRSError, GeoInputError
from geo.gcj02 import convert_geometries
from geo.points import read_points_csv
from geo.scratch import scratch_folder
from geo.shp_records import damaged_records
from geo.validate import KINDS, check_region, clean, rows_text

#: upload suffix -> how it is read
SUFFIXES = {".zip": "zip", ".kmz": "zip", ".shp": "shapefile", ".gpkg": "gpkg",
            ".geojson": "geojson", ".json": "geojson", ".kml": "kml", ".txt": "jzd", ".csv": "csv"}
SHAPE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
DATUMS = {"gcj02": ("GCJ-02（高德/腾讯）", "GCJ-02 (Amap/Tencent)"),
          "bd09": ("BD-09（百度）", "BD-09 (Baidu)")}
GEOMETRY_TYPES = {"polygon": ("Polygon", "MultiPolygon"), "point": ("Point", "MultiPoint")}
#: fields GDAL's KML driver adds to every layer: rendering options (always dropped) and
#: descriptive ones (dropped when the file leaves them empty)
KML_RENDERING = ("altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon")
KML_OPTIONAL = ("id", "description", "timestamp", "begin", "end")
NAME_HINT = re.compile(r"名称|名字|^name(_zh)?$|^mc$|mc$|^名$|地块名|园区名", re.I)
#: temporary folders of uploads (geo.scratch)
WORKSPACE_PREFIX = "sei-upload-"


@dataclass
class VectorRead:
    """What :func:`read_vector` found, in CGCS2000, with how each decision was made."""

    gdf: gpd.GeoDataFrame
    source_crs: str
    source_epsg: int | None
    crs_how: str  # "file" | "user" | "inferred"
    encoding: str | None
    encoding_how: str | None  # "cpg" | "user" | "detected" | None (format fixes it: GPKG, KML)
    format: str  # "shapefile" | "gpkg" | "geojson" | "kml" | "jzd" | "csv"
    notes: list[tuple[str, str]] = field(default_factory=list)
    name_preview: list[str] = field(default_factory=list)
    #: records that could not be read: {"row": 1-based number in the file, "zh", "en": why}
    unreadable: list[dict] = field(default_factory=list)


@dataclass
class _Raw:
    """A file as read, before CRS and geometry checks."""

    gdf: gpd.GeoDataFrame
    format: str
    file_crs: object = None
    encoding: str | None = None
    encoding_how: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: {0-based record: (zh, en) reason} for records that cannot be read as written
    damaged: dict[int, tuple[str, str]] = field(default_factory=dict)


def read_vector(source, filename=None, *, crs=None, encoding=None, datum=None, geometry="polygon",
                layer=None, region=None) -> VectorRead:
    """Read an uploaded vector file into CGCS2000.

    :param source: path of the uploaded file (a ``.shp`` path reads its sibling parts).
    :param filename: the name it was uploaded under; its suffix decides the format.
    :param crs: the CRS the user says the data is in (EPSG int/str), overriding file/inference.
    :param encoding: the attribute encoding the user names ("utf-8", "gbk", "gb18030").
    :param datum: "gcj02" or "bd09" to convert such degree coordinates, recorded in the notes.
    :param geometry: "polygon" (Polygon/MultiPolygon only), "point" or "any".
    :param layer: which shapefile of a zip / layer of a GeoPackage to take when there are several.
    :param region: optional shapely geometry (CGCS2000) of Henan for CRS inference and the
        outside-Henan check; default the :data:`geo.crs.HENAN_BOUNDS` box.
    :raises GeoInputError: with a stable ``code`` (docs/data-import.md, "Reading uploaded vector files").
    """
    source = Path(source)
    filename = str(filename or source.name)
    suffix = accepted_suffix(filename, SUFFIXES,
                             "压缩的 Shapefile（.zip）、GeoPackage（.gpkg）、GeoJSON、KML、"
                             "界址点坐标文件（.txt）或点位表格（.csv）",
                             "a zipped Shapefile (.zip), a GeoPackage (.gpkg), GeoJSON, KML, a 界址点 "
                             "coordinate file (.txt) or a CSV of points")
    if geometry not in KINDS:
        raise ValueError(f"geometry must be one of {KINDS}")
    if datum not in (None, "", *DATUMS):
        raise GeoInputError(f"未知的坐标偏移类型“{datum}”，可选 gcj02 或 bd09。",
                            f"Unknown datum '{datum}'; choose gcj02 or bd09.", code="bad_datum")
    if encoding:
        encoding = textenc.normalise(encoding)
    if not source.is_file():
        raise GeoInputError("上传的文件不存在或为空。", "The uploaded file is missing or empty.",
                            code="empty")
    deadline = Deadline()
    with upload_workspace() as tmp:
        raw = _read(source, SUFFIXES[suffix], tmp, encoding=encoding, geometry=geometry,
                    layer=layer)
    deadline.check()
    return _finish(raw, crs=crs, datum=datum or None, geometry=geometry, region=region,
                   deadline=deadline)


def upload_workspace() -> AbstractContextManager[Path]:
    """A temporary folder for one upload, removed afterwards whatever happens; folders that
    workers killed mid-upload left behind are removed first (:mod:`geo.scratch`)."""
    return scratch_folder(WORKSPACE_PREFIX)


# --- per format ------------------------------------------------------------------------------

def _read(source: Path, kind: str, work: Path, *, encoding, geometry, layer) -> _Raw:
    if source.stat().st_size == 0:
        raise GeoInputError("上传的文件是空的（0 字节）。", "The uploaded file is empty (0 bytes).",
                            code="empty")
    if kind == "zip":
        return _read_zip(source, work, encoding=encoding, geometry=geometry, layer=layer)
    if kind == "shapefile":
        return _read_shapefile(shape_parts(source), work, encoding)
    staged = work / f"upload{source.suffix.lower() or '.' + kind}"
    shutil.copyfile(source, staged)
    return _read_single(staged, kind, work, encoding=encoding, geometry=geometry, layer=layer)


def _read_single(path: Path, kind: str, work: Path, *, encoding, geometry, layer) -> _Raw:
    if kind == "gpkg":
        return _read_gpkg(path, geometry, layer)
    if kind == "geojson":
        return _read_geojson(path, work, encoding)
    if kind == "kml":
        return _read_kml(path)
    text, enc, how = textenc.decode_text(path.read_bytes(), encoding)
    if kind == "jzd":
        return _read_jzd(text, enc, how)
    gdf, notes = read_points_csv(text)
    return _Raw(gdf, "csv", None, enc, how, notes)


def _read_zip(path: Path, work: Path, *, encoding, geometry, layer) -> _Raw:
    root = work / "unzipped"
    files = extract_zip(path, root)
    shps = [f for f in files if f.suffix.lower() == ".shp"]
    if shps:
        shp = _pick_shapefile(shps, root, geometry, layer)
        return _read_shapefile(shape_parts(shp), work, encoding)
    others = [f for f in files if SUFFIXES.get(f.suffix.lower()) in ("gpkg", "geojson", "kml")]
    if len(others) == 1:
        kind = SUFFIXES[others[0].suffix.lower()]
        return _read_single(others[0], kind, work, encoding=encoding, geometry=geometry, layer=layer)
    names = [str(f.relative_to(root)) for f in files][:20]
    if others:
        raise several_layers_error([str(f.relative_to(root)) for f in others])
    raise GeoInputError(
        f"压缩包中没有可读取的矢量文件（找到：{'、'.join(names) or '无'}）。"
        "请把 .shp、.shx、.dbf（及 .prj、.cpg）一起打包，或上传 .gpkg/.geojson/.kml。",
        f"The zip holds no vector file we can read (found: {', '.join(names) or 'nothing'}). Zip "
        "the .shp, .shx, .dbf (and .prj, .cpg) together, or upload .gpkg/.geojson/.kml.",
        code="unknown_format")


def accepted_suffix(filename: str, accepted, formats_zh: str, formats_en: str) -> str:
    """The lower-case suffix of an uploaded ``filename``; raises ``unknown_format`` naming the
    formats that are read (``formats_zh`` / ``formats_en``) when it is not one of ``accepted``."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in accepted:
        raise GeoInputError(f"不支持的文件类型“{suffix or filename}”。请上传{formats_zh}。",
                            f"Unsupported file type '{suffix or filename}'. Upload {formats_en}.",
                            code="unknown_format")
    return suffix


def several_layers_error(names: list[str]) -> GeoInputError:
    return GeoInputError(
        f"文件中有多个图层：{'、'.join(names)}。请选择其中一个，或每次只上传一个图层。",
        f"The file holds several layers: {', '.join(names)}. Choose one, or upload one layer at "
        "a time.",
        code="several_layers", details={"layers": names})


def _pick_shapefile(shps: list[Path], root: Path, geometry: str, layer) -> Path:
    """The one shapefile of a zip to read: the one named by ``layer``, the only one, or the only
    one of the wanted geometry type; else ``several_layers`` listing them."""
    names = {str(p.relative_to(root).with_suffix("")).replace("\\", "/"): p for p in shps}
    if layer:
        for name, p in names.items():
            if layer.lower() in (name.lower(), p.stem.lower()):
                return p
        raise GeoInputError(f"压缩包中没有名为“{layer}”的图层（有：{'、'.join(names)}）。",
                            f"The zip has no layer '{layer}' (it has: {', '.join(names)}).",
                            code="several_layers", details={"layers": list(names)})
    if len(shps) == 1:
        return shps[0]
    wanted = GEOMETRY_TYPES.get(geometry)
    if wanted:
        fitting = [p for p in shps if _shp_type(p) in wanted]
        if len(fitting) == 1:
            return fitting[0]
    raise several_layers_error(list(names))


def _shp_type(shp: Path) -> str | None:
    try:
        return pyogrio.read_info(shp)["geometry_type"].replace(" Z", "").replace(" M", "")
    except Exception:  # an unreadable part is reported when it is read
        return None


def shape_parts(shp: Path) -> dict[str, Path]:
    """The parts of the shapefile ``shp`` by lower-case suffix (any case on disk).

    Raises ``missing_part`` when the .shx or .dbf is missing.
    """
    parts = {}
    for sibling in shp.parent.iterdir():
        if sibling.stem.lower() == shp.stem.lower() and sibling.suffix.lower() in SHAPE_PARTS:
            parts[sibling.suffix.lower()] = sibling
    missing = [s for s in (".shx", ".dbf") if s not in parts]
    if missing:
        what = "、".join(missing)
        raise GeoInputError(
            f"Shapefile“{shp.name}”缺少 {what} 文件。Shapefile 由多个文件组成，请把同名的 .shp、.shx、.dbf"
            "（及 .prj、.cpg）一起打包成 zip 上传。",
            f"The Shapefile '{shp.name}' lacks its {', '.join(missing)} file. A Shapefile is "
            "several files: zip the .shp, .shx, .dbf (and .prj, .cpg) of the same name together "
            "and upload the zip.",
            code="missing_part", details={"missing": missing})
    return parts


def _read_shapefile(parts: dict[str, Path], work: Path, encoding) -> _Raw:
    indexed = max((parts[".shx"].stat().st_size - 100) // 8, 0)
    check_records(max(indexed, textenc.dbf_record_count(parts[".dbf"])))
    folder = work / "shape"
    folder.mkdir(exist_ok=True)
    for suffix, src in parts.items():
        shutil.copyfile(src, folder / f"data{suffix}")
    shp, dbf = folder / "data.shp", folder / "data.dbf"
    chunks = textenc.dbf_text_chunks(dbf)
    if encoding:
        textenc.check_chunks(chunks, encoding)
        enc, how = encoding, "user"
    elif ".cpg" in parts and textenc.cpg_encoding(parts[".cpg"]):
        enc, how = textenc.cpg_encoding(parts[".cpg"]), "cpg"
    else:
        enc, how = textenc.detect_chunks(chunks), "detected"
    notes = []
    repaired = textenc.repair_dbf(dbf, enc)
    if repaired:
        notes.append((f"导出软件在 {repaired} 处字段名或文字的末尾截断了半个汉字（DBF 长度限制），"
                      "已去掉残字。",
                      f"The exporting software cut a character in half at the end of {repaired} field "
                      "names or texts (DBF length limits); the broken character was dropped."))
    gdf = _ogr_read(shp, encoding=enc)
    file_crs = gdf.crs if ".prj" in parts else None
    return _Raw(gdf, "shapefile", file_crs, enc, how, notes, damaged_records(shp, gdf.geometry.values))


def _past_budget() -> dict:
    """For formats whose records cannot be counted before reading: GDAL stops one past the budget."""
    return {"max_features": budget.MAX_RECORDS + 1}


def _ogr_read(path: Path, **kwargs) -> gpd.GeoDataFrame:
    """GDAL's reading of ``path`` (:func:`_past_budget` where the records were not counted)."""
    try:
        gdf = pyogrio.read_dataframe(path, **kwargs)
    except UnicodeDecodeError as exc:
        raise textenc.undecodable(kwargs.get("encoding")) from exc
    except Exception as exc:  # pyogrio/GDAL errors carry English text only
        raise GeoInputError(
            "文件已损坏或格式不正确，无法读取。请用 GIS 软件重新导出后上传。",
            f"The file is damaged or not in the format its name says and cannot be read ({exc}). "
            "Export it again from your GIS and upload it.",
            code="bad_file") from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise GeoInputError("文件中没有几何图形。", "The file holds no geometry.", code="empty")
    if len(gdf) > budget.MAX_RECORDS:
        raise too_many_records(len(gdf))
    return gdf


def _read_gpkg(path: Path, geometry: str, layer) -> _Raw:
    gpkg.inspect(path)
    try:
        layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except Exception as exc:
        raise GeoInputError("GeoPackage 文件已损坏，无法读取。", "The GeoPackage is damaged and cannot "
                            "be read.", code="bad_file") from exc
    names = [n for n, _ in layers]
    if layer:
        if layer not in names:
            raise GeoInputError(f"GeoPackage 中没有名为“{layer}”的图层（有：{'、'.join(names)}）。",
                                f"The GeoPackage has no layer '{layer}' (it has: {', '.join(names)}).",
                                code="several_layers", details={"layers": names})
        chosen = layer
    else:
        wanted = GEOMETRY_TYPES.get(geometry)
        fitting = [n for n, t in layers if t not in ("None", "")
                   and (wanted is None or t.replace(" Z", "").replace(" M", "") in wanted)]
        if not fitting:
            code, zh, en = (("no_polygons", "面", "polygon") if geometry == "polygon"
                            else ("no_points", "点", "point") if geometry == "point"
                            else ("empty", "几何", "geometry"))
            raise GeoInputError(f"GeoPackage 中没有{zh}图层（图层：{'、'.join(names) or '无'}）。",
                                f"The GeoPackage has no {en} layer (layers: {', '.join(names) or 'none'}).",
                                code=code)
        if len(fitting) > 1:
            raise several_layers_error(fitting)
        chosen = fitting[0]
    gpkg.check_layer_records(path, chosen)
    gdf = _ogr_read(path, layer=chosen)
    notes = []
    if len(layers) > 1:
        notes.append((f"读取了 GeoPackage 中的图层“{chosen}”。", f"Read layer '{chosen}' of the GeoPackage."))
    return _Raw(gdf, "gpkg", gdf.crs, None, None, notes)


def _read_geojson(path: Path, work: Path, encoding) -> _Raw:
    text, enc, how = textenc.decode_text(path.read_bytes(), encoding)
    utf8 = work / "upload-utf8.geojson"
    utf8.write_text(text, encoding="utf-8")
    gdf = _ogr_read(utf8, **_past_budget())
    # Without a "crs" member GDAL reports EPSG:4326 (RFC 7946); metre values then make
    # resolve_crs ignore that claim and infer.
    return _Raw(gdf, "geojson", gdf.crs, enc, how)


def _read_kml(path: Path) -> _Raw:
    try:
        layers = [str(n) for n, t in pyogrio.list_layers(path)]
    except Exception as exc:
        raise GeoInputError("KML 文件已损坏，无法读取。", "The KML file is damaged and cannot be read.",
                            code="bad_file") from exc
    frames = [_ogr_read(path, layer=n, **_past_budget()) for n in layers]
    frames = [f for f in frames if len(f)]
    if not frames:
        raise GeoInputError("KML 文件中没有任何要素。", "The KML file holds no features.", code="empty")
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    unused = [c for c in gdf.columns if c in KML_RENDERING
              or (c in KML_OPTIONAL and gdf[c].replace("", None).isna().all())]
    return _Raw(gdf.drop(columns=unused), "kml", CGCS2000, None, None)


def _read_jzd(text: str, enc: str, how: str) -> _Raw:
    parsed = jzd.parse(text)
    rows, geoms = [], []
    for parcel in parsed.parcels:
        rows.append(dict(parcel.attrs))
        geoms.append(jzd.to_geometry(parcel, swapped=parsed.swapped))
    gdf = gpd.GeoDataFrame(rows, geometry=geoms)
    notes = []
    if parsed.swapped and not parsed.degrees:
        notes.append(("界址点文件中 X/Y 列顺序与惯例（X 为北坐标）相反，已按数值自动识别。",
                      "The 界址点 file lists easting before northing (convention: X = northing); "
                      "the columns were told apart by their values."))
    file_crs = None
    if parsed.degrees:
        file_crs = CGCS2000 if jzd.states_cgcs2000(parsed.header) else None
    elif parsed.header:
        sample = float(np.asarray(gdf.total_bounds)[0])
        code = jzd.header_epsg(parsed.header, sample)
        if code and jzd.states_cgcs2000(parsed.header):
            file_crs = code
    for col in ("界址点数", "地块面积"):
        if col in gdf.columns:
            gdf[col] = pd.to_numeric(gdf[col], errors="coerce")
    return _Raw(gdf, "jzd", file_crs, enc, how, notes)


# --- CRS, datum, geometry --------------------------------------------------------------------

def _finish(raw: _Raw, *, crs, datum, geometry, region, deadline: Deadline) -> VectorRead:
    check_records(len(raw.gdf))
    check_vertices(raw.gdf.geometry.values)
    if raw.gdf.empty:
        raise GeoInputError("文件中没有任何要素（空文件）。请检查导出的文件是否包含数据。",
                            "The file holds no features. Check that the export contains data.",
                            code="empty")
    gdf, rows, unreadable = _set_aside(raw)
    present = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if present.empty:
        raise GeoInputError("文件中的要素都没有几何图形。", "None of the file's features has a geometry.",
                            code="empty")
    bounds = tuple(float(v) for v in present.total_bounds)
    source, how, notes = resolve_crs(raw.file_crs, bounds, user=crs, region=region)
    notes = raw.notes + notes
    if how != "user":
        require_cgcs2000_datum(source)
    if datum:
        gdf, datum_note = _convert_datum(gdf, source, datum)
        notes.append(datum_note)
    if is_geographic_cgcs2000_like(source):
        gdf = gdf.set_crs(CGCS2000, allow_override=True)
    else:
        gdf = gdf.set_crs(source, allow_override=True).to_crs(CGCS2000)
        if how == "user" and abs(source.ellipsoid.semi_major_metre - 6378137.0) > 0.5:
            notes.append(("所指定坐标系不基于 CGCS2000 椭球，转换未使用七参数，误差可达数十米。",
                          "The CRS you named is not on the CGCS2000 ellipsoid; converting it used no "
                          "seven-parameter set and may be off by tens of metres."))
    gdf = _tidy_columns(gdf)
    deadline.check()
    gdf, clean_notes = clean(gdf, geometry=geometry, rows=rows)
    deadline.check()
    notes += clean_notes
    check_region(gdf, region)
    if raw.format == "jzd":
        notes += _stated_area_notes(gdf)
    return VectorRead(gdf=gdf, source_crs=crs_label(source), source_epsg=identify_epsg(source),
                      crs_how=how, encoding=raw.encoding, encoding_how=raw.encoding_how,
                      format=raw.format, notes=notes, name_preview=name_preview(gdf),
                      unreadable=unreadable)


def _set_aside(raw: _Raw) -> tuple[gpd.GeoDataFrame, np.ndarray, list[dict]]:
    """The readable records, their 1-based numbers in the file, and the unreadable ones with
    their reasons; ``unreadable_records`` when no record can be read."""
    rows = np.arange(1, len(raw.gdf) + 1)
    if not raw.damaged:
        return raw.gdf, rows, []
    unreadable = [{"row": i + 1, "zh": zh, "en": en} for i, (zh, en) in raw.damaged.items()]
    keep = ~np.isin(rows - 1, list(raw.damaged))
    if not keep.any():
        numbers = [u["row"] for u in unreadable]
        raise GeoInputError(
            f"文件中的记录都已损坏，无法读取（第 {rows_text(numbers)} 条：{unreadable[0]['zh']}）。"
            "请用 GIS 软件重新导出后上传。",
            f"Every record of the file is damaged and cannot be read (records {rows_text(numbers)}: "
            f"{unreadable[0]['en']}). Export it again from your GIS and upload it.",
            code="unreadable_records", details={"rows": numbers})
    return raw.gdf.loc[keep], rows[keep], unreadable


def require_cgcs2000_datum(crs) -> None:
    c = get_crs(crs)
    if c.ellipsoid is not None and abs(c.ellipsoid.semi_major_metre - 6378137.0) > 0.5:
        raise CRSError(
            f"文件坐标系为 {crs_label(c)}，不是 2000 国家大地坐标系。转换需要测绘单位提供的参数，"
            "系统不做近似转换。请提供 CGCS2000 坐标的文件，或明确指定坐标系以接受近似转换。",
            f"The file's CRS is {crs_label(c)}, not CGCS2000. Converting it needs parameters only "
            "the surveyor has, and the system does not approximate silently. Provide CGCS2000 "
            "coordinates, or name the CRS explicitly to accept an approximate conversion.",
            code="crs_datum")


def _convert_datum(gdf: gpd.GeoDataFrame, source, datum: str):
    if not get_crs(source).is_geographic:
        raise GeoInputError(
            "GCJ-02/BD-09 纠偏只适用于经纬度坐标，而该文件是投影坐标。请取消纠偏选项。",
            "GCJ-02/BD-09 conversion applies to longitude/latitude only, and this file holds "
            "projected coordinates. Untick the conversion.",
            code="bad_datum")
    zh, en = DATUMS[datum]
    gdf = gdf.copy()
    valid = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    gdf.loc[valid, gdf.geometry.name] = convert_geometries(gdf.geometry[valid].values, datum)
    return gdf, (f"坐标已按您的选择从 {zh} 转换为 CGCS2000（偏移约数百米）。",
                 f"Coordinates were converted from {en} to CGCS2000 as you chose (a shift of a few "
                 "hundred metres).")


def _tidy_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Geometry column named "geometry", attribute names as strings, index 0..n-1."""
    gdf = gdf.rename_geometry("geometry") if gdf.geometry.name != "geometry" else gdf
    gdf.columns = [str(c) for c in gdf.columns]
    return gdf.reset_index(drop=True)


def _stated_area_notes(gdf: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Notes where a 界址点 parcel's stated 地块面积 (公顷, sometimes m²) disagrees by > 1 %."""
    from geo.area import gk_area_m2

    if "地块面积" not in gdf.columns:
        return []
    computed, _ = gk_area_m2(gdf.geometry.values)
    notes = []
    for i, (stated, m2) in enumerate(zip(gdf["地块面积"], computed, strict=True), start=1):
        if pd.isna(stated) or stated <= 0:
            continue
        if min(abs(stated * 10_000 - m2), abs(stated - m2)) > 0.01 * m2:
            notes.append((f"第 {i} 个地块文件所写面积为 {stated}，与按坐标计算的 "
                          f"{m2 / 10_000:.4f} 公顷不符，请核对。",
                          f"Parcel {i}: the file states an area of {stated}, but its coordinates "
                          f"give {m2 / 10_000:.4f} ha — please check."))
    return notes


def name_preview(gdf: gpd.GeoDataFrame, n: int = 5) -> list[str]:
    """The first ``n`` values of the most name-like text column (to show decoding worked)."""
    text_cols = [c for c in gdf.columns if c != "geometry" and (
        pd.api.types.is_string_dtype(gdf[c]) or pd.api.types.is_object_dtype(gdf[c]))]
    if not text_cols:
        return []
    named = [c for c in text_cols if NAME_HINT.search(c)]

    def cjk(col):
        return sum(sum("\u4e00" <= ch <= "\u9fff" for ch in str(v)) for v in gdf[col].head(50))

    col = named[0] if named else max(text_cols, key=cjk)
    values = [str(v) for v in gdf[col] if isinstance(v, str) and v.strip()]
    return values[:n]
