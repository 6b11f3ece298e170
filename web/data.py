"""Open data out: the /data/ download page and the ``flask layer`` commands.

Both are thin over :mod:`layers.downloads`; the files themselves come from the API route
``/api/layers/<name>?format=…&crs=…`` (page) or are written to disk (CLI).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from flask import Blueprint, render_template
from flask.cli import AppGroup

from core.errors import UserError
from geo.vector_write import DOWNLOAD_EPSG, FORMATS, KML_EPSG
from layers.downloads import download_formats, download_layer, feature_count
from parks.catalog import BOUNDARY_LEVELS, LAYERS
from parks.provenance import LABELS
from web.console import input_error
from web.context import catalog

bp = Blueprint("data", __name__, url_prefix="/data")


@bp.get("/")
def index():
    cat = catalog()
    counts = {name: feature_count(cat, name) for name in LAYERS}
    offered = {name: download_formats(cat, name) for name in LAYERS}
    return render_template("data/index.html", layers=LAYERS.values(), counts=counts,
                           formats=FORMATS, offered=offered, epsg=DOWNLOAD_EPSG, kml_epsg=KML_EPSG,
                           levels=BOUNDARY_LEVELS, bases=LABELS, version=cat.data_version())


# --- command line ---------------------------------------------------------------------------

@click.group("layer", cls=AppGroup)
def layer_cli():
    """List the layers and export them as files (as the /data/ page downloads them)."""


@layer_cli.command("list")
def list_command():
    """Each layer with its feature count, geometry and title."""
    cat = catalog()
    for info in LAYERS.values():
        levels = f"  (--level {'|'.join(BOUNDARY_LEVELS)})" if info.name == "boundaries" else ""
        click.echo(f"{info.name:<11} {feature_count(cat, info.name):>5}  {info.geometry:<8} "
                   f"{info.title_zh} / {info.title_en}{levels}")


_FORMAT_HELP = f"File format: {', '.join(FORMATS)} (default gpkg)."
_CRS_HELP = f"EPSG code: {', '.join(map(str, DOWNLOAD_EPSG))} (default 4490; KML: 4326/4490)."


@layer_cli.command("export")
@click.argument("name")
@click.option("--format", "fmt", default="gpkg", show_default=False, help=_FORMAT_HELP)
@click.option("--crs", default="4490", help=_CRS_HELP)
@click.option("--level", default=None, help=f"boundaries only: {', '.join(BOUNDARY_LEVELS)}.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: the download's own name, in the current folder); "
                   "'-' writes to standard output.")
def export_command(name: str, fmt: str, crs: str, level: str | None, output: Path | None):
    """Export layer NAME as a file.

    Example: flask layer export parks --format gpkg --crs 4547 -o parks.gpkg
    """
    try:
        file = download_layer(catalog(), name, fmt, crs, level=level)
    except UserError as exc:
        raise input_error(exc) from exc
    with file:
        if str(output) == "-":
            with file.path.open("rb") as source:
                shutil.copyfileobj(source, sys.stdout.buffer)
            return
        path = file.move_to(output or Path(file.filename))
    click.echo(f"{path}  {file.size:,} bytes", err=True)


@layer_cli.command("export-all")
@click.option("--format", "fmt", default="gpkg", help=_FORMAT_HELP)
@click.option("--crs", default="4490", help=_CRS_HELP)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              help="Folder for the files (created if missing; default: current folder).")
def export_all_command(fmt: str, crs: str, out_dir: Path):
    """Export every layer (boundaries one file per level) into one folder, with a progress bar.

    Each file is moved into the folder as soon as it is written; the files are listed at the end
    (also when a layer fails: those before it stay)."""
    jobs = [(info.name, None) for info in LAYERS.values() if info.name != "boundaries"]
    jobs += [("boundaries", level) for level in BOUNDARY_LEVELS]
    cat = catalog()
    written = []
    try:
        with click.progressbar(jobs, label="导出 Exporting", file=sys.stderr,
                               item_show_func=lambda job: job and "_".join(filter(None, job))) as bar:
            for name, level in bar:
                with download_layer(cat, name, fmt, crs, level=level) as file:
                    out_dir.mkdir(parents=True, exist_ok=True)
                    written.append(file.move_to(out_dir / file.filename))
    except UserError as exc:
        raise input_error(exc) from exc
    finally:
        for path in written:
            click.echo(path)



