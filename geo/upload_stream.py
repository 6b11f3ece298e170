"""Reading a big uploaded layer (a county's survey, a province's supply records) batch by batch.

:func:`geo.vector_io.read_vector` reads an upload whole, within a budget sized for parcel files.
A survey layer is 10⁵–10⁶ polygons, so :func:`open_stream` instead opens it once, decides its
CRS and encoding the same way (:func:`geo.crs.resolve_crs`, ``.cpg`` or detection on a sample
of the DBF), and :meth:`UploadStream.batches` hands out Arrow batches from GDAL
(``pyogrio.open_arrow``) with their geometries in CGCS2000, checked and repaired as
:func:`geo.validate.clean` does, so only one batch is in memory at a time. GeoPackage, zipped
Shapefile and File Geodatabase (``.gdb`` folder, zipped or not; GDAL's OpenFileGDB driver) are
read. (:mod:`geo.arrow_stream` streams parcel files for ``check-parcels``, without these checks.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyogrio
import shapely

from geo import gpkg, textenc
from geo.archive import extract_zip
from geo.crs import (
    CGCS2000,
    crs_label,
    identify_epsg,
    is_geographic_cgcs2000_like,
    resolve_crs,
    transform_geoms,
)
from geo.errors import GeoInputError
from geo.validate import POLYGONAL, check_region, clean
from geo.vector_io import (
    accepted_suffix,
    require_cgcs2000_datum,
    several_layers_error,
    shape_parts,
    upload_workspace,
)

#: upload suffixes a stream reads
STREAM_SUFFIXES = (".gpkg", ".zip", ".shp", ".gdb")
#: the unpacked size a zipped survey may have (a county's DLTB Shapefile is ~1 GB)
MAX_UNPACKED_BYTES = 8 * 1024 ** 3
BATCH_ROWS = 50_000
POINTS = ("Point", "MultiPoint")


@dataclass
class Batch:
    """One batch: its attributes (Arrow, no geometry), geometries in CGCS2000, 1-based rows."""

    attributes: pa.Table
    geoms: np.ndarray
    rows: np.ndarray
    notes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class UploadStream:
    """An opened layer: what was decided about it, and its batches."""

    path: Path
    layer: str | None
    format: str  # "gpkg" | "shapefile" | "filegdb"
    fields: list[str]
    count: int | None
    source_crs: object
    crs_how: str
    encoding: str | None
    encoding_how: str | None
    kind: str = "polygon"  # what each feature must be: "polygon" or "point"
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def crs_text(self) -> str:
        return crs_label(self.source_crs)

    @property
    def source_epsg(self) -> int | None:
        return identify_epsg(self.source_crs)

    def batches(self, batch_size: int = BATCH_ROWS, *, region=None) -> Iterator[Batch]:
        """The layer in batches of ``batch_size`` features, geometries in CGCS2000, checked:
        all of the layer's :attr:`kind` (``mixed_geometry``), invalid boundaries repaired within
        0.1 % of area or refused (``invalid_geometry``), none wholly outside ``region``
        (``outside_henan``). The next batch is read while the caller works on this one (GDAL,
        PROJ and GEOS release the GIL, so a second core reads)."""
        return _read_ahead(self._batches(batch_size, region))

    def _batches(self, batch_size: int, region) -> Iterator[Batch]:
        first = 1
        to_cgcs = not is_geographic_cgcs2000_like(self.source_crs)
        with pyogrio.open_arrow(self.path, layer=self.layer, encoding=self.encoding,
                                batch_size=batch_size, use_pyarrow=True) as (meta, reader):
            geometry = meta["geometry_name"] or "wkb_geometry"
            for record_batch in reader:
                table = pa.Table.from_batches([record_batch])
                geoms = shapely.from_wkb(table.column(geometry).to_numpy(zero_copy_only=False))
                if to_cgcs:
                    geoms = transform_geoms(geoms, self.source_crs, CGCS2000)
                rows = np.arange(first, first + len(geoms))
                first += len(geoms)
                frame = gpd.GeoDataFrame({"_at": np.arange(len(geoms))}, geometry=geoms, crs=CGCS2000)
                frame, notes = clean(frame, geometry=self.kind, rows=rows)
                kept = frame["_at"].to_numpy()
                check_region(frame, region, rows=rows[kept])
                yield Batch(table.drop_columns([geometry]).take(pa.array(kept)),
                            np.asarray(frame.geometry.values, dtype=object), rows[kept], notes)


_END = object()


def _read_ahead(items: Iterator[Batch]) -> Iterator[Batch]:
    """``items``, each computed in a worker thread while the previous one is being used."""
    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        pending = pool.submit(next, items, _END)
        try:
            while (item := pending.result()) is not _END:
                pending = pool.submit(next, items, _END)
                yield item
        finally:
            pending.cancel() or pending.exception()  # let a running read finish before closing
            items.close()


@contextmanager
def open_stream(source, filename=None, *, crs=None, encoding=None, layer=None, preferred=(),
                geometry="polygon", region=None) -> Iterator[UploadStream]:
    """Open the polygon layer of an uploaded GeoPackage, zipped Shapefile or File Geodatabase
    (with ``geometry="any"``: its polygon or point layer).

    :param preferred: layer names to take when a file holds several polygon layers (``DLTB``).
    :param crs, encoding: the user's word, as for :func:`geo.vector_io.read_vector`.
    :param region: Henan (CGCS2000) for inferring a CRS without ``.prj``.
    :raises GeoInputError: ``unknown_format``, ``several_layers``, ``no_polygons``, ``bad_file``,
        and the CRS and encoding errors :func:`read_vector` raises.
    """
    source = Path(source)
    filename = str(filename or source.name)
    suffix = accepted_suffix(filename, STREAM_SUFFIXES,
                             " GeoPackage（.gpkg）、压缩的 Shapefile（.zip）"
                             "或压缩的 File Geodatabase（.gdb 文件夹打包为 .zip）",
                             "a GeoPackage (.gpkg), a zipped Shapefile (.zip) or a zipped File Geodatabase "
                             "(.gdb folder in a .zip)")
    if not source.exists() or (source.is_file() and source.stat().st_size == 0):
        raise GeoInputError("上传的文件不存在或为空。", "The uploaded file is missing or empty.",
                            code="empty")
    with upload_workspace() as work:
        path, kind = _locate(source, suffix, work)
        yield _open(path, kind, work, crs=crs, encoding=encoding, layer=layer, preferred=preferred,
                    kinds=POLYGONAL + POINTS if geometry == "any" else POLYGONAL, region=region)


def _locate(source: Path, suffix: str, work: Path) -> tuple[Path, str]:
    if suffix == ".gdb":
        return source, "filegdb"
    if suffix == ".gpkg":
        gpkg.inspect(source)
        return source, "gpkg"
    if suffix == ".shp":
        return source, "shapefile"
    root = work / "unzipped"
    files = extract_zip(source, root, max_bytes=MAX_UNPACKED_BYTES)
    gdbs = sorted({p for f in files for p in f.relative_to(root).parents if p.suffix.lower() == ".gdb"})
    shps = [f for f in files if f.suffix.lower() == ".shp"]
    gpkgs = [f for f in files if f.suffix.lower() == ".gpkg"]
    found = [*(("filegdb", root / g) for g in gdbs), *(("shapefile", s) for s in shps),
             *(("gpkg", g) for g in gpkgs)]
    if len(found) == 1:
        kind, path = found[0]
        if kind == "gpkg":
            gpkg.inspect(path)
        return path, kind
    if found:
        raise several_layers_error([str(p.relative_to(root)) for _, p in found])
    raise GeoInputError(
        "压缩包中没有 Shapefile、GeoPackage 或 File Geodatabase。",
        "The zip holds no Shapefile, GeoPackage or File Geodatabase.", code="unknown_format")


def _layers(path: Path) -> list[tuple[str, str]]:
    try:
        return [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL's errors carry English text only
        raise GeoInputError("文件已损坏或格式不正确，无法读取。请用 GIS 软件重新导出后上传。",
                            f"The file is damaged or not in the format its name says ({exc}). "
                            "Export it again from your GIS and upload it.", code="bad_file") from exc


def _plain(geometry_type) -> str:
    return str(geometry_type).replace(" Z", "").replace(" M", "")


def _pick_layer(path: Path, kind: str, layer, preferred, kinds) -> str | None:
    if kind == "shapefile":
        return None
    layers = _layers(path)
    names = [n for n, _ in layers]
    if layer:
        if layer not in names:
            raise GeoInputError(f"文件中没有名为“{layer}”的图层（有：{'、'.join(names)}）。",
                                f"The file has no layer '{layer}' (it has: {', '.join(names)}).",
                                code="several_layers", details={"layers": names})
        return layer
    fitting = [n for n, t in layers if _plain(t) in (*kinds, "Unknown")]
    wanted = [n for n in fitting if n.upper() in {p.upper() for p in preferred}]
    if len(wanted) == 1 or len(fitting) == 1:
        return (wanted or fitting)[0]
    if not fitting:
        raise _no_polygons(", ".join(f"{n} ({t})" for n, t in layers) or "—")
    raise several_layers_error(fitting)


def _no_polygons(found: str) -> GeoInputError:
    return GeoInputError(f"文件中没有面图层（找到：{found}）。图斑、地块须为面（多边形）。",
                         f"The file has no polygon layer (found: {found}). Patches and parcels must "
                         "be polygons.", code="no_polygons")


def _shapefile_encoding(shp: Path, work: Path, encoding) -> tuple[Path, str, str]:
    parts = shape_parts(shp)
    if encoding:
        enc = textenc.normalise(encoding)
        textenc.check_chunks(textenc.dbf_text_sample(parts[".dbf"]), enc)
        how = "user"
    elif ".cpg" in parts and textenc.cpg_encoding(parts[".cpg"]):
        enc, how = textenc.cpg_encoding(parts[".cpg"]), "cpg"
    else:
        enc, how = textenc.detect_chunks(textenc.dbf_text_sample(parts[".dbf"])), "detected"
    return _gathered(parts, work), enc, how


def _gathered(parts: dict[str, Path], work: Path) -> Path:
    """The shapefile's parts under one name GDAL finds (their case on disk may differ): moved
    when they were unpacked into ``work``, copied when given by path."""
    folder = work / "shape"
    folder.mkdir(exist_ok=True)
    for part_suffix, src in parts.items():
        move = src.is_relative_to(work)
        (shutil.move if move else shutil.copyfile)(src, folder / f"data{part_suffix}")
    return folder / "data.shp"


def _open(path: Path, kind: str, work: Path, *, crs, encoding, layer, preferred, kinds,
          region) -> UploadStream:
    chosen = _pick_layer(path, kind, layer, preferred, kinds)
    enc = how = None
    if kind == "shapefile":
        path, enc, how = _shapefile_encoding(path, work, encoding)
    try:
        info = pyogrio.read_info(path, layer=chosen, encoding=enc, force_total_bounds=True)
    except Exception as exc:
        raise GeoInputError("文件已损坏或格式不正确，无法读取。请用 GIS 软件重新导出后上传。",
                            f"The file is damaged and cannot be read ({exc}). Export it again from "
                            "your GIS and upload it.", code="bad_file") from exc
    geometry_type = _plain(info["geometry_type"])
    if geometry_type not in (*kinds, "Unknown"):
        raise _no_polygons(geometry_type)
    if not info["features"]:
        raise GeoInputError("文件中没有任何要素（空文件）。", "The file holds no features.", code="empty")
    bounds = tuple(float(v) for v in info["total_bounds"])
    source, crs_how, notes = resolve_crs(info["crs"], bounds, user=crs, region=region)
    if crs_how != "user":
        require_cgcs2000_datum(source)
    if chosen and len(_layers(path)) > 1:
        notes.insert(0, (f"读取了图层“{chosen}”。", f"Read layer '{chosen}'."))
    return UploadStream(path=path, layer=chosen, format=kind, fields=[str(f) for f in info["fields"]],
                        count=int(info["features"]) if info["features"] >= 0 else None,
                        source_crs=source, crs_how=crs_how, encoding=enc, encoding_how=how,
                        kind="point" if geometry_type in POINTS else "polygon", notes=notes)
