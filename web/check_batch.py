"""`flask check-parcels`: a province's parcels checked against every park and zone on a dask
cluster or in PostGIS (:mod:`parks.batch`), with a progress bar. Read-only: quotas as of the
start, nothing reserved, no check recorded (the output file is the record)."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.errors import UserError
from parks import ledger
from parks.batch import Reference, check_file, dask_engine
from parks.checks import VERDICT_LABELS, quota_areas
from web.auth import database
from web.console import input_error
from web.context import catalog

ENGINES = ("dask", "postgis")


def _engine(name: str, workers: int | None, scheduler: str | None):
    if name == "dask":
        where = (f"scheduler {scheduler}" if scheduler
                 else f"a local cluster of {workers or 'one per CPU'} workers")
        click.echo(f"engine: dask on {where} / 引擎：dask", err=True)
        return dask_engine(workers, scheduler)
    url = current_app.config["DATABASE_URL"]
    if not url.startswith("postgresql"):
        raise UserError("--engine postgis 需要 PostgreSQL 数据库（设置 SEI_ATLAS_DATABASE_URL=postgresql+psycopg://…）。",
                        "--engine postgis needs the database to be PostgreSQL (set "
                        "SEI_ATLAS_DATABASE_URL=postgresql+psycopg://…).", code="no_postgis")
    from parks.batch_postgis import in_postgis

    click.echo("engine: PostGIS / 引擎：PostGIS", err=True)
    return nullcontext(in_postgis(url))


class _Progress:
    """A click progress bar over the file's parcels, opened when the count is known."""

    def __init__(self):
        self.bar = None

    def start(self, total: int | None) -> None:
        self.bar = click.progressbar(length=total, label="核查地块 / checking parcels", show_pos=True,
                                     file=sys.stderr) if total else None
        if self.bar:
            self.bar.__enter__()

    def rows(self, n: int) -> None:
        if self.bar:
            self.bar.update(n)
        else:
            click.echo(f"… {n:,} parcels checked", err=True)

    def close(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)


@click.command("check-parcels")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Result file: .parquet (GeoParquet), .gpkg or .csv (WKT), written in file order; or a "
                   "folder (no suffix): a GeoParquet dataset, one part per partition written by the "
                   "workers themselves (fastest; the folder must be new or empty).")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="Worker processes of the local cluster (default: one per CPU).")
@click.option("--scheduler", default=None,
              help="Address of a running dask.distributed scheduler (tcp://host:8786) instead of a "
                   "local cluster (default: the DASK_SCHEDULER setting, SEI_ATLAS_DASK_SCHEDULER). "
                   "Its workers need this package installed.")
@click.option("--engine", type=click.Choice(ENGINES), default="dask", show_default=True,
              help="postgis: the join in the database (PostgreSQL + PostGIS only).")
@click.option("--year", type=click.IntRange(1990, 2100), default=ledger.SEED_YEAR, show_default=True,
              help="The ledger year whose quotas apply.")
@click.option("--crs", default=None, help="EPSG code of the coordinates (default: the file's, or inferred).")
@click.option("--batch-size", type=click.IntRange(1_000, 2_000_000), default=100_000, show_default=True,
              help="Parcels per partition.")
@with_appcontext
def check_parcels_command(file, out, workers, scheduler, engine, year, crs, batch_size):
    """Check every parcel of FILE (GPKG, SHP, GeoParquet, CSV with WKT; up to millions) against
    every park and zone; write one row per parcel to OUT. Read-only: quotas as of the start."""
    scheduler = scheduler or current_app.config.get("DASK_SCHEDULER") or None
    cat = catalog()
    with database().read() as session:
        reference = Reference.as_of_start(quota_areas(cat.layer("parks"), cat.layer("zones")),
                                          ledger.state(session, year))
    progress = _Progress()
    started = time.perf_counter()
    try:
        summary = check_file(file, out, reference, _engine(engine, workers, scheduler),
                             batch_size=batch_size, crs=crs, on_start=progress.start, on_rows=progress.rows)
    except UserError as exc:
        raise input_error(exc) from exc
    finally:
        progress.close()
    for zh, en in summary.notes:
        click.echo(f"{zh} / {en}", err=True)
    counts = ", ".join(f"{VERDICT_LABELS[v][0]} {VERDICT_LABELS[v][1]} {n:,}"
                       for v, n in sorted(summary.verdicts.items()))
    parts = len(list(out.glob("part-*.parquet"))) if out.is_dir() else 0
    where = f"{out}/ (GeoParquet dataset; part files: {parts})" if parts else out
    click.echo(f"wrote {where}: {summary.rows_out:,} parcels ({counts}) in "
               f"{time.perf_counter() - started:.1f} s; quotas of {year} as of the start, nothing reserved / "
               f"已写出 {summary.rows_out:,} 个地块的核查结果（按开始时的 {year} 年度指标，未预留任何地块）")
