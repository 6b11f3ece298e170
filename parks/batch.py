"""Province-scale parcel checks: a file of up to 10M parcels against every park and zone, on a
``dask.distributed`` cluster (``flask check-parcels``), or with the join in PostGIS
(:mod:`parks.batch_postgis`).

The rule is the upload check's (:func:`parks.checks.measure` and :func:`parks.checks.judge`),
applied partition by partition, with three differences a province-wide batch needs:

* **read-only, as of the start**: quotas and what the ledger has committed are read once when
  the run starts; nothing is reserved, and the ledger's reserved/approved parcels are not
  overlaid (a file of supplied parcels is not an application — check candidates one by one at
  ``/quota/check``);
* each parcel is checked **on its own** against the quota left at the start, not charged in
  file order, and parcels of the file are not compared with each other;
* a parcel straddling two parks (or two zones) reads 不符合 with reason ``straddles`` instead of
  refusing the whole file.

How it streams: the command reads the file batch by batch (:mod:`geo.arrow_stream`, geometry
still as WKB/WKT bytes) and scatters each batch's geometry column to a worker, at most
:data:`IN_FLIGHT` per worker at a time; the worker parses, cleans, checks and returns the
check's columns as an Arrow table (the parcels' WKB too, only where cleaning changed them); the
command puts them beside the file's own columns and writes the tables in file order as they
come back. The parks, zones and quotas are scattered to every worker once. Workers need the
package installed, not the file.

Into a GeoParquet dataset folder, the command's single writer is out of the way: each worker is
sent the whole batch, puts the file's columns beside the check's itself and writes the
partition's part file (the folder must be one the workers see: on a local cluster it is).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.arrow_stream import (
    StreamInfo,
    check_output,
    dataset_folder,
    is_dataset,
    open_batches,
    write_batches,
    write_part,
)
from geo.crs import CGCS2000, get_crs
from geo.errors import GeoInputError
from geo.units import SURVEY_DIGITS, m2_to_ha, m2_to_mu
from geo.validate import clean
from parks.checks import FLAGS, VERDICT_LABELS, LedgerState, Placement, judged_columns, measure

#: partitions per worker being read, checked or written at once (bounds every process's memory)
IN_FLIGHT = 2
CGCS2000_CRS = get_crs(CGCS2000)
#: a parcel's row in the file (1-based), kept through cleaning
ROW = "file_row"
#: the check's columns after the file's own, with their Arrow types
STRING, FLOAT, INT = pa.string(), pa.float64(), pa.int64()
CHECK_COLUMNS = {
    ROW: INT, "area_id": STRING, "area_kind": STRING, "area_name_zh": STRING,
    "area_name_en": STRING, "geom_basis": STRING,
    "area_m2": FLOAT, "area_ha": FLOAT, "area_mu": FLOAT,
    "gk_area_m2": FLOAT, "gk_area_ha": FLOAT, "gk_area_mu": FLOAT, "gk_epsg": INT,
    "outside_m2": FLOAT, "outside_ha": FLOAT, "outside_mu": FLOAT,
    "quota_m2": FLOAT, "quota_basis": STRING, "before_m2": FLOAT, "after_m2": FLOAT,
    "verdict": STRING, "verdict_zh": STRING, "verdict_en": STRING, "reasons": STRING, "flags": INT,
}


@dataclass(frozen=True)
class Reference:
    """What every partition is checked against: the parks and zones
    (:func:`parks.checks.quota_areas`) and the ledger's quotas as of the start."""

    areas: gpd.GeoDataFrame
    ledger: LedgerState

    @classmethod
    def as_of_start(cls, areas: gpd.GeoDataFrame, ledger: LedgerState) -> Reference:
        """Quotas only: the ledger's allocations are left out (see the module's docstring)."""
        return cls(areas, LedgerState(ledger.year, ledger.quotas, LedgerState.empty(ledger.year).allocations))


#: how a parcel's WKB starts when the output can take the file's bytes as they are: little-endian,
#: 2D, Polygon or MultiPolygon, no SRID (what :func:`shapely.to_wkb` writes)
PLAIN_WKB_STARTS = pa.array([b"\x01\x03\x00\x00\x00", b"\x01\x06\x00\x00\x00"], type=pa.binary())


@dataclass
class Partition:
    """One batch of the file, parsed and cleaned: its parcels in CGCS2000, which rows of the
    batch they are (rows with no geometry are skipped, with a note) and whether they are still
    the file's WKB as read (then the output takes the file's bytes: nothing is encoded again)."""

    first_row: int
    geoms: np.ndarray
    kept: np.ndarray
    as_read: bool
    notes: list[tuple[str, str]] = field(default_factory=list)


def prepare(batch: pa.RecordBatch, first_row: int, info: StreamInfo) -> Partition:
    """Parse, reproject and clean a batch (its geometry column is all it needs) as an upload is
    (:func:`geo.validate.clean`); raises its :class:`geo.errors.GeoInputError` naming the rows
    of the file."""
    rows = np.arange(first_row + 1, first_row + len(batch) + 1)
    parsed = info.geometries(batch)
    gdf = gpd.GeoDataFrame({ROW: rows}, geometry=parsed, crs=info.crs)
    reprojected = gdf.crs != CGCS2000_CRS
    gdf, notes = clean(gdf.to_crs(CGCS2000) if reprojected else gdf, rows=rows)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    kept = gdf[ROW].to_numpy() - first_row - 1
    as_read = (not reprojected and info.encoding == "wkb" and _plain_wkb(batch.column(info.geometry))
               and all(g is p for g, p in zip(geoms, parsed[kept], strict=True)))  # cleaning left them be
    return Partition(first_row, geoms, kept, as_read, notes)


def _plain_wkb(wkb: pa.Array) -> bool:
    """Whether every WKB value (missing ones are skipped rows) starts as :data:`PLAIN_WKB_STARTS`."""
    return pc.all(pc.is_in(pc.binary_slice(wkb, 0, 5), value_set=PLAIN_WKB_STARTS)).as_py() is not False


def check_partition(batch: pa.RecordBatch, first_row: int, info: StreamInfo,
                    reference: Reference) -> tuple[pa.Table, list[tuple[str, str]]]:
    """The task a worker runs: one batch's geometry column checked with Shapely
    (:func:`parks.checks.measure`); returns :func:`check_columns` and the notes."""
    part = prepare(batch, first_row, info)
    return check_columns(part, measure(part.geoms, reference.areas), reference), part.notes


def _rounded(m2: np.ndarray, stem: str) -> dict[str, np.ndarray]:
    return {f"{stem}_m2": np.round(m2, SURVEY_DIGITS["m2"]),
            f"{stem}_ha": np.round(m2_to_ha(m2), SURVEY_DIGITS["ha"]),
            f"{stem}_mu": np.round(m2_to_mu(m2), SURVEY_DIGITS["mu"])}


def reason_codes(flags: np.ndarray) -> pa.DictionaryArray:
    """Each row's reason codes (:data:`parks.checks.FLAGS`), ``;``-separated, failures first."""
    order = sorted(FLAGS, key=lambda code: ("fail", "review", "info").index(FLAGS[code][1]))
    values, inverse = np.unique(flags, return_inverse=True)
    texts = [";".join(c for c in order if v & FLAGS[c][0]) for v in values]
    return pa.DictionaryArray.from_arrays(pa.array(inverse, type=pa.int32()), pa.array(texts, type=STRING))


def _by_area(assigned: np.ndarray, values) -> pa.DictionaryArray:
    """The assigned area's ``values`` per parcel (null where none), as indices into them."""
    dictionary = pa.array(np.asarray(values, dtype=object), type=STRING, from_pandas=True)
    return pa.DictionaryArray.from_arrays(pa.array(assigned, type=pa.int32(), mask=assigned < 0), dictionary)


def check_columns(part: Partition, placement: Placement, reference: Reference) -> pa.Table:
    """The check's columns (:data:`CHECK_COLUMNS`; areas as surveys report them: m² to 2
    decimals, 公顷 to 4, 亩 to 2; text dictionary-encoded) for the rows kept, and the parcel in
    CGCS2000 as WKB (``geometry``) unless it is still the file's (``part.as_read``)."""
    areas = reference.areas
    rows = judged_columns(len(part.geoms), placement, areas, reference.ledger, in_file_order=False)
    verdict = pa.array(rows["verdict"], type=STRING).dictionary_encode()
    labels = {lang: pa.DictionaryArray.from_arrays(verdict.indices, pa.array(
        [VERDICT_LABELS[v][i] for v in verdict.dictionary.to_pylist()], type=STRING))
        for i, lang in enumerate(("zh", "en"))}
    columns = {ROW: part.first_row + 1 + part.kept,
               **{c: _by_area(placement.assigned, areas[column]) for c, column in
                  (("area_id", "area_id"), ("area_kind", "kind"), ("area_name_zh", "name_zh"),
                   ("area_name_en", "name_en"), ("geom_basis", "geom_basis"))},
               **_rounded(rows["area_m2"], "area"),
               **_rounded(rows["gk_area_m2"], "gk_area"), "gk_epsg": rows["gk_epsg"],
               **_rounded(rows["outside_m2"], "outside"),
               **{c: np.round(rows[c], SURVEY_DIGITS["m2"]) for c in ("quota_m2", "before_m2", "after_m2")},
               "quota_basis": pa.array(rows["quota_basis"], type=STRING).dictionary_encode(),
               "verdict": verdict, "verdict_zh": labels["zh"], "verdict_en": labels["en"],
               "reasons": reason_codes(rows["flags"]), "flags": rows["flags"]}
    arrays = {name: columns[name] if isinstance(columns[name], pa.Array) else
              pa.array(columns[name], type=kind, from_pandas=True) for name, kind in CHECK_COLUMNS.items()}
    if not part.as_read:
        arrays["geometry"] = pa.array(shapely.to_wkb(part.geoms), type=pa.binary())
    return pa.table(arrays)


def result_table(batch: pa.RecordBatch, first_row: int, checked: pa.Table, info: StreamInfo) -> pa.Table:
    """The rows written out: the file's own columns of the rows kept (a clashing name gets
    ``_input``), the check's columns (:func:`check_columns`) and the parcel as WKB, the file's
    own bytes where cleaning left them as read."""
    kept = checked.column(ROW).to_numpy() - first_row - 1
    if len(kept) < len(batch):  # else every row was kept, in order: nothing to take
        batch = batch.take(pa.array(kept))
    own = batch.drop_columns([info.geometry])
    own = own.rename_columns([f"{n}_input" if n in CHECK_COLUMNS or n == "geometry" else n
                              for n in own.schema.names])
    table = pa.Table.from_batches([own]) if isinstance(own, pa.RecordBatch) else own
    for name in CHECK_COLUMNS:
        table = table.append_column(name, checked.column(name))
    geometry = (checked.column("geometry") if "geometry" in checked.column_names
                else batch.column(info.geometry).cast(pa.binary()))
    return table.append_column("geometry", geometry)


def plain(table: pa.Table) -> pa.Table:
    """``table`` with the check's text columns decoded: workers send them dictionary-encoded (a
    few distinct names and verdicts for a hundred thousand rows), files hold plain text."""
    return table.cast(pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f
                                 for f in table.schema], metadata=table.schema.metadata))


@dataclass(frozen=True)
class Written:
    """What one partition came to in the output: its rows and each verdict's count."""

    rows: int
    verdicts: dict[str, int]

    @classmethod
    def of(cls, table: pa.Table) -> Written:
        counts = pc.value_counts(table.column("verdict")).to_pylist()
        return cls(len(table), {c["values"]: c["counts"] for c in counts})


@dataclass
class Summary:
    """What a run did: rows read and written, verdict counts, the file's notes."""

    rows_in: int = 0
    rows_out: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def add(self, written: Written, rows_in: int, notes) -> None:
        self.rows_in += rows_in
        self.rows_out += written.rows
        for verdict, count in written.verdicts.items():
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + count
        self.notes += [n for n in notes if n not in self.notes]


def check_and_write(batch: pa.RecordBatch, first_row: int, index: int, info: StreamInfo,
                    reference: Reference, folder: Path) -> tuple[Written, list[tuple[str, str]], int]:
    """The task a worker runs for a dataset: one whole batch checked (:func:`check_partition`)
    and written, with the file's own columns, as part ``index`` of ``folder``; returns what was
    written, the notes and the rows read."""
    checked, notes = check_partition(batch, first_row, info, reference)
    table = plain(result_table(batch, first_row, checked, info))
    write_part(folder, index, table)
    return Written.of(table), notes, len(batch)


@contextmanager
def dask_engine(workers: int | None = None, scheduler: str | None = None):
    """The dask engine (:class:`OnCluster`) on the scheduler at ``scheduler``
    (``tcp://host:8786``), else on a local cluster of ``workers`` processes (default: the CPUs),
    one thread each, closed at the end. The local cluster's scheduler runs in this process, so
    batches and results go straight between this process and the workers (dask would otherwise
    pass each through the scheduler: a second copy here, for nothing)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="10s") as client:
            yield OnCluster(client)
        return
    with _no_malloc_trim(), LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                         processes=True, dashboard_address=":0") as cluster, \
            Client(cluster, direct_to_workers=True) as client:
        yield OnCluster(client)


def _no_malloc_trim():
    """dask's settings with new workers spawned without ``MALLOC_TRIM_THRESHOLD_``: setting it
    fixes glibc's mmap threshold, so every array of a partition is mapped and faulted in afresh
    (the check ran 1.3–1.5× slower); a worker holds at most :data:`IN_FLIGHT` partitions anyway."""
    import dask

    environ = dask.config.get("distributed.nanny.pre-spawn-environ", default={})
    return dask.config.set({"distributed.nanny.pre-spawn-environ": {
        name: value for name, value in environ.items() if name != "MALLOC_TRIM_THRESHOLD_"}})


@dataclass
class OnCluster:
    """The dask engine: each batch checked by a worker of ``client``'s cluster, at most
    :data:`IN_FLIGHT` partitions per worker outstanding; results in file order."""

    client: object  # distributed.Client

    def __call__(self, batches: Iterator[pa.RecordBatch], info: StreamInfo, reference: Reference):
        """Yields ``(table, notes, rows read)``: the worker checks the batch's geometry column,
        this process adds the file's own columns."""
        on_workers = self.client.scatter(reference, broadcast=True)

        def submit(batch, first_row, _index, worker):
            geometry = self.client.scatter(batch.select([info.geometry]), workers=[worker], hash=False)
            return self.client.submit(check_partition, geometry, first_row, info, on_workers,
                                      workers=[worker], pure=False)

        for (checked, notes), batch, first_row in self._in_file_order(batches, submit, hold=True):
            yield result_table(batch, first_row, checked, info), notes, len(batch)

    def write_parts(self, batches: Iterator[pa.RecordBatch], info: StreamInfo, reference: Reference,
                    folder: Path):
        """Yields ``(Written, notes, rows read)``: the worker checks the whole batch and writes
        it as a part of ``folder`` (:func:`check_and_write`; a part is named by its place in the
        file, so the order the workers finish in does not matter)."""
        self._require_visible(folder)
        on_workers = self.client.scatter(reference, broadcast=True)

        def submit(batch, first_row, index, worker):
            whole = self.client.scatter(batch, workers=[worker], hash=False)
            return self.client.submit(check_and_write, whole, first_row, index, info, on_workers, folder,
                                      workers=[worker], pure=False)

        for result, _, _ in self._in_file_order(batches, submit, hold=False):
            yield result

    def _in_file_order(self, batches, submit, *, hold: bool):
        """``(task's result, batch or None, first row)`` per batch in file order. Each batch is
        submitted (``submit(batch, first_row, index, worker)``) to the worker with the fewest
        unfinished as soon as the window allows: :data:`IN_FLIGHT` per worker unfinished and, when
        ``hold`` keeps each batch here until its result's turn (to be written beside it), the
        finished ones waiting for their turn too. On an error the rest is cancelled."""
        from distributed import wait

        load = dict.fromkeys(self.client.scheduler_info(n_workers=-1)["workers"], 0)
        window = IN_FLIGHT * max(1, len(load))
        unfinished: dict = {}  # future -> (index, batch or None, first row, worker)
        finished: dict[int, tuple] = {}
        turn = 0

        def settle():
            nonlocal turn
            done, _ = wait(list(unfinished), return_when="FIRST_COMPLETED")
            for future in done:
                index, batch, first_row, worker = unfinished.pop(future)
                load[worker] -= 1
                finished[index] = (future.result(), batch, first_row)
            while turn in finished:
                yield finished.pop(turn)
                turn += 1

        first_row = 0
        try:
            for index, batch in enumerate(batches):
                while len(unfinished) + (len(finished) if hold else 0) >= window:
                    yield from settle()
                worker = min(load, key=load.get)
                unfinished[submit(batch, first_row, index, worker)] = (index, batch if hold else None,
                                                                       first_row, worker)
                load[worker] += 1
                first_row += len(batch)
            while unfinished:
                yield from settle()
        finally:
            for future in unfinished:
                future.cancel()

    def _require_visible(self, folder: Path) -> None:
        unseen = [w for w, seen in self.client.run(os.path.isdir, str(folder)).items() if not seen]
        if unseen:
            raise GeoInputError(
                f"dask 工作进程（{'、'.join(unseen)}）看不到输出文件夹 {folder.parent}："
                "分片输出要写在工作进程共享的存储上。请换用共享文件夹，或输出单个文件（.parquet、.gpkg、.csv）。",
                f"The dask workers {', '.join(unseen)} cannot see the output folder {folder.parent}: a "
                "dataset is written by the workers, so it must be on storage they share. Use a shared "
                "folder, or write a single file (.parquet, .gpkg, .csv).", code="output_not_shared")


def in_process(batches: Iterator[pa.RecordBatch], info: StreamInfo, reference: Reference):
    """The same partitions checked one after another in this process (the reference the
    engines are compared with; small files)."""
    first_row = 0
    for batch in batches:
        checked, notes = check_partition(batch, first_row, info, reference)
        yield result_table(batch, first_row, checked, info), notes, len(batch)
        first_row += len(batch)


def check_file(path, out, reference: Reference, engine=None, *, batch_size: int = 100_000,
               crs=None, on_start: Callable[[int | None], None] = lambda total: None,
               on_rows: Callable[[int], None] = lambda rows: None) -> Summary:
    """Check every parcel of ``path`` and write ``out`` (GeoParquet, GeoPackage or CSV) in file
    order. ``engine`` is a context manager giving the engine (default :func:`in_process`; see
    :func:`dask_engine`, :func:`parks.batch_postgis.in_postgis`), entered once the file is known
    to be usable. ``on_start(total)`` is called then (``None``: size unknown), ``on_rows(n)`` as
    each partition is written. Bad input raises before anything is written, and a run that
    fails leaves no output."""
    check_output(out, path)
    summary = Summary()
    with open_batches(path, batch_size=batch_size, crs=crs) as (info, batches), \
            (engine or nullcontext(in_process)) as run:
        summary.notes += list(info.notes)
        on_start(info.total)
        if is_dataset(out) and isinstance(run, OnCluster):  # the workers write the parts
            with dataset_folder(out) as folder:
                for written, notes, rows_in in run.write_parts(batches, info, reference, folder):
                    summary.add(written, rows_in, notes)
                    on_rows(rows_in)
            return summary

        def tables():
            for table, notes, rows_in in run(batches, info, reference):
                summary.add(Written.of(table), rows_in, notes)
                on_rows(rows_in)
                yield plain(table)

        write_batches(out, tables())
    return summary
