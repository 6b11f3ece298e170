"""Vector files read and written as a stream of Arrow batches, for files of millions of features
that no process should hold whole (a province's parcels: `flask check-parcels`).

Reading, one pass, a batch at a time, geometries left as WKB/WKT bytes for whoever parses them:

* GeoPackage, Shapefile, FlatGeobuf, GeoJSON — GDAL's Arrow stream (``pyogrio.open_arrow``);
* GeoParquet — ``pyarrow.parquet`` batches (WKB encoding, the CRS from the ``geo`` metadata);
* CSV with a WKT column (``wkt``, ``geometry``, ``geom`` or ``shape``) — pyarrow's streaming CSV
  reader, every column as text (codes such as ``0101`` keep their zeros), UTF-8 or GBK/GB18030
  (detected as for an upload, :func:`geo.textenc.detect`).

The CRS is the file's, the user's (``crs``) or inferred from a sample's coordinates, as for an
upload (:func:`geo.crs.resolve_crs`). Writing: GeoParquet (pyarrow), GeoPackage and CSV (GDAL,
CSV as :mod:`geo.vector_write` writes it: WKT first, UTF-8 with BOM, formula-like text as
text), batch by batch into a temporary file renamed into place when complete — a failed run
leaves no output. Or a GeoParquet dataset: a folder of part files (``part-00000.parquet`` …, in
file order) that several processes write at once (:func:`dataset_folder`, :func:`write_part`),
renamed into place when complete.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import CRS

from core.spreadsheet import safe_text_columns
from geo import textenc
from geo.crs import CGCS2000, get_crs, resolve_crs
from geo.errors import GeoInputError
from geo.validate import clean

OGR_SUFFIXES = (".gpkg", ".shp", ".fgb", ".geojson", ".json")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
CSV_SUFFIXES = (".csv",)
OUT_SUFFIXES = (".parquet", ".gpkg", ".csv")
WKT_COLUMNS = ("wkt", "geometry", "geom", "shape")
#: features parsed on the reading side to check the kind and find the CRS
SAMPLE = 1000
#: pyarrow CSV block size per requested row (parcels' WKT is ~150–300 bytes a row)
CSV_BYTES_PER_ROW = 200


@dataclass(frozen=True)
class StreamInfo:
    """What a reader of the batches needs: the geometry column, how it is encoded, the CRS
    (resolved), the feature count (None when unknown) and the notes on the CRS."""

    geometry: str
    encoding: str  # "wkb" or "wkt"
    crs: CRS
    total: int | None
    notes: tuple[tuple[str, str], ...] = ()

    def geometries(self, batch: pa.RecordBatch | pa.Table) -> np.ndarray:
        values = batch.column(self.geometry).to_numpy(zero_copy_only=False)
        return shapely.from_wkb(values) if self.encoding == "wkb" else shapely.from_wkt(values)


def _unreadable(path: Path, exc: Exception) -> GeoInputError:
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return GeoInputError(f"无法读取文件 {path.name}：{detail}。请检查文件是否完整、格式是否与扩展名一致。",
                         f"Cannot read {path.name}: {detail}. Check that the file is complete and of "
                         "the format its extension says.", code="unreadable")


def _check_path(path: Path) -> None:
    if not path.is_file():
        raise GeoInputError(f"找不到文件：{path}。", f"File not found: {path}.", code="file_not_found")
    if path.suffix.lower() not in OGR_SUFFIXES + PARQUET_SUFFIXES + CSV_SUFFIXES:
        accepted = ", ".join(OGR_SUFFIXES + PARQUET_SUFFIXES + CSV_SUFFIXES)
        raise GeoInputError(f"不支持的文件类型“{path.suffix}”。可用：{accepted}。",
                            f"Unsupported file type '{path.suffix}'. Accepted: {accepted}.",
                            code="bad_format", details={"accepted": accepted.split(", ")})


@contextmanager
def open_batches(path: Path | str, *, batch_size: int = 100_000, crs=None
                 ) -> Iterator[tuple[StreamInfo, Iterator[pa.RecordBatch]]]:
    """``(info, batches)`` of a vector file of polygons. Raises :class:`GeoInputError`
    (``file_not_found``, ``bad_format``, ``unreadable``, ``no_polygons``, ``mixed_geometry``, a
    CRS error) before yielding when the file cannot be used."""
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    try:
        with _raw_batches(path, suffix, batch_size) as (geometry, encoding, file_crs, total, batches):
            first = next(batches, None)
            if first is None or not len(first):
                raise GeoInputError(f"文件 {path.name} 中没有要素。", f"{path.name} holds no features.",
                                    code="empty")
            info = StreamInfo(geometry, encoding, CGCS2000, total)
            sample = info.geometries(first.slice(0, SAMPLE))
            resolved, _, notes = resolve_crs(file_crs, shapely.total_bounds(sample), user=crs)
            clean(gpd.GeoDataFrame(geometry=sample, crs=resolved))  # the kind, before any work
            yield (StreamInfo(geometry, encoding, resolved, total, tuple(notes)),
                   itertools.chain([first], batches))
    except (OSError, pa.ArrowException, pyogrio.errors.DataSourceError,
            pyogrio.errors.DataLayerError, shapely.errors.GEOSException) as exc:
        raise _unreadable(path, exc) from exc


@contextmanager
def _raw_batches(path: Path, suffix: str, batch_size: int):
    if suffix in OGR_SUFFIXES:
        with pyogrio.open_arrow(path, batch_size=batch_size, use_pyarrow=True) as (meta, reader):
            total = pyogrio.read_info(path)["features"]
            yield (meta["geometry_name"] or "wkb_geometry", "wkb", meta["crs"],
                   total if total >= 0 else None, iter(reader))
    elif suffix in PARQUET_SUFFIXES:
        file = pq.ParquetFile(path, pre_buffer=False)  # pre-buffered, every row group read stays in memory
        geo = json.loads((file.schema_arrow.metadata or {}).get(b"geo", b"{}"))
        column = geo.get("primary_column", "geometry")
        spec = geo.get("columns", {}).get(column, {})
        if column not in file.schema_arrow.names or spec.get("encoding", "WKB").upper() != "WKB":
            raise GeoInputError(f"{path.name} 不是 WKB 编码的 GeoParquet（找不到几何列）。",
                                f"{path.name} is not GeoParquet with WKB geometries (no geometry column).",
                                code="no_geometry_column")
        crs = spec.get("crs", "OGC:CRS84")  # the GeoParquet default
        yield column, "wkb", (json.dumps(crs) if isinstance(crs, dict) else crs), \
            file.metadata.num_rows, file.iter_batches(batch_size=batch_size)
        file.close()
    else:
        encoding = _csv_encoding(path)
        with open(path, encoding=encoding, newline="") as f:
            names = next(csv.reader([f.readline()]), [])
        wkt = next((n for n in names if n.strip().lower() in WKT_COLUMNS), None)
        if wkt is None:
            raise GeoInputError(f"{path.name} 中没有 WKT 几何列（列名须为 {'、'.join(WKT_COLUMNS)} 之一）。",
                                f"{path.name} has no WKT geometry column (named one of "
                                f"{', '.join(WKT_COLUMNS)}).", code="no_geometry_column")
        reader = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(block_size=batch_size * CSV_BYTES_PER_ROW,
                                                 encoding=encoding.removesuffix("-sig")),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
        yield wkt, "wkt", None, _csv_rows(path), iter(reader)


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), GBK or GB18030, from the first megabyte's whole lines."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return textenc.detect(head[: head.rfind(b"\n") + 1] or head)


def _csv_rows(path: Path) -> int:
    """Data rows of a CSV (its lines less the header; WKT holds no line breaks)."""
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def is_dataset(path: Path | str) -> bool:
    """Whether ``path`` names a GeoParquet dataset folder (no file suffix) rather than a file."""
    return not Path(path).suffix


def check_output(path: Path | str, source: Path | str | None = None) -> Path:
    """``path`` when it can be written (a known suffix, or none for a dataset folder that is
    new or empty; in an existing folder; not the ``source`` file), else :class:`GeoInputError`."""
    path = Path(path)
    if not is_dataset(path) and path.suffix.lower() not in OUT_SUFFIXES:
        raise GeoInputError(f"输出须为 {'、'.join(OUT_SUFFIXES)} 文件，"
                            "或不带扩展名的文件夹（GeoParquet 分片）。",
                            f"The output must be a {', '.join(OUT_SUFFIXES)} file, or a folder (no "
                            "suffix) for a GeoParquet dataset.", code="bad_format",
                            details={"accepted": [*OUT_SUFFIXES, "folder/"]})
    if not path.parent.is_dir():
        raise GeoInputError(f"输出文件夹不存在：{path.parent}。", f"No such output folder: {path.parent}.",
                            code="file_not_found")
    if source is not None and path.resolve() == Path(source).resolve():
        raise GeoInputError("输出文件不能覆盖输入文件。", "The output cannot overwrite the input file.",
                            code="bad_parameter")
    if is_dataset(path) and path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise GeoInputError(f"输出文件夹 {path} 已存在且不为空：请指定新的或空的文件夹。",
                            f"The output folder {path} exists and is not empty: name a new or empty folder.",
                            code="bad_parameter")
    return path


def write_batches(path: Path | str, tables: Iterator[pa.Table], *, geometry: str = "geometry") -> int:
    """Write ``tables`` (attributes and a WKB ``geometry`` column in CGCS2000) to ``path`` as
    GeoParquet, GeoPackage, CSV or a GeoParquet dataset folder (a part per table), one table at
    a time; returns the rows written. The file (folder) appears only when every table was
    written: on any error (raised by the iterator too) the temporary file is removed and the
    error raised."""
    path = check_output(path)
    if is_dataset(path):
        return _write_dataset(path, tables, geometry)
    suffix = path.suffix.lower()
    tmp = path.parent / f".{path.stem}.{secrets.token_hex(4)}.tmp{suffix}"
    try:
        rows = (_write_parquet if suffix == ".parquet" else _write_ogr)(tmp, tables, geometry, path.stem)
        os.replace(tmp, path)
        return rows
    finally:
        for leftover in tmp.parent.glob(f"{tmp.name}*"):
            leftover.unlink(missing_ok=True)


def _geo_metadata(geometry: str) -> bytes:
    return json.dumps({"version": "1.0.0", "primary_column": geometry, "columns": {geometry: {
        "encoding": "WKB", "geometry_types": [], "crs": get_crs(CGCS2000).to_json_dict()}}}).encode()


def _parquet_writer(path: Path, schema: pa.Schema, geometry: str) -> pq.ParquetWriter:
    schema = schema.with_metadata({b"geo": _geo_metadata(geometry)})
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    # dictionary pages for text only: numbers and WKB are nearly all distinct (less CPU)
    return pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=text)


def _write_parquet(tmp: Path, tables, geometry: str, _layer: str) -> int:
    writer, rows = None, 0
    try:
        for table in tables:
            if writer is None:
                writer = _parquet_writer(tmp, table.schema, geometry)
            writer.write_table(table.cast(writer.schema))
            rows += len(table)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_dataset(path: Path, tables, geometry: str) -> int:
    rows = 0
    with dataset_folder(path) as folder:
        for index, table in enumerate(tables):
            write_part(folder, index, table, geometry=geometry)
            rows += len(table)
    return rows


@contextmanager
def dataset_folder(path: Path | str) -> Iterator[Path]:
    """A temporary folder beside ``path`` for a dataset's parts (:func:`write_part`), renamed to
    ``path`` when the block ends without error; on any error it is removed with its parts."""
    path = check_output(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            path.rmdir()  # an empty folder the user named (check_output allows no other)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_part(folder: Path, index: int, table: pa.Table, *, geometry: str = "geometry") -> Path:
    """Part ``index`` of a dataset (``folder/part-00042.parquet``; parts sort in file order) as a
    GeoParquet file written as :func:`write_batches` writes one."""
    path = folder / f"part-{index:05d}.parquet"
    with _parquet_writer(path, table.schema, geometry) as writer:
        writer.write_table(table)
    return path


def _write_ogr(tmp: Path, tables, geometry: str, layer: str) -> int:
    """GDAL pulls the batches from a reader over ``tables``; an error raised while it pulls is
    kept and raised again here (GDAL would only report that the stream failed)."""
    failure: list[BaseException] = []
    rows = 0

    def batches(first: pa.Table):
        nonlocal rows
        try:
            for table in itertools.chain([first], tables):
                rows += len(table)
                table = table.cast(first.schema)
                yield from (safe_text_columns(table) if as_csv else table).to_batches()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            failure.append(exc)

    first = next(iter(tables), None)
    if first is None:
        return 0
    as_csv = tmp.suffix == ".csv"  # text cells a spreadsheet would run are written as text
    reader = pa.RecordBatchReader.from_batches(first.schema, batches(first))
    options = {"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES", "LINEFORMAT": "CRLF"} if as_csv else {}
    pyogrio.write_arrow(reader, tmp, layer=layer, driver="CSV" if as_csv else "GPKG",
                        geometry_name=geometry, geometry_type="Unknown", crs="EPSG:4490",
                        layer_options=options)
    if failure:
        raise failure[0]
    return rows
