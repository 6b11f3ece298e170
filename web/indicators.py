"""Measured intensive-use indicators: ``GET /api/indicators`` and ``flask survey indicators``
(a command of :mod:`web.survey`'s group), both from :mod:`parks.measured`; and the measured
figures the pages show in place of derived ones (:func:`shown_figures`)."""

from __future__ import annotations

import json

import click
import pandas as pd
from flask import Blueprint, current_app, jsonify, request
from flask.cli import with_appcontext

from core.errors import UserError
from layers.labels import num
from parks import actuals, measured
from web.auth import database
from web.console import input_error
from web.context import catalog

api = Blueprint("indicators_api", __name__, url_prefix="/api")


def _settings() -> tuple[str, str | None]:
    config = current_app.config
    return config["DATA_DIR"], config["DATABASE_URL"]


def indicators_for(area: str | None, year) -> dict:
    """Indicators of ``area`` (id or name), or of every park, zone and city when None, in
    survey ``year`` (the latest when empty). Raises :class:`~parks.measured.IndicatorError`."""
    data_dir, url = _settings()
    cat = catalog()
    year = measured.check_year(data_dir, year)
    recorded = actuals.load(database(), year=year)
    version = measured.version(data_dir)
    if area:
        region = measured.find_region(cat, area)
        body = measured.area_indicators(cat, data_dir, region, year, actuals=recorded, database_url=url)
        return {"survey_version": version, "survey_years": measured.years(data_dir), **body}
    return {"survey_version": version, "survey_years": measured.years(data_dir), "year": year,
            "areas": measured.all_indicators(cat, data_dir, year, actuals=recorded, database_url=url)}


@api.get("/indicators")
def get_indicators():
    """``?area=<id or name>&year=<survey year>``; every park, zone and city without ``area``."""
    return jsonify(indicators_for(request.args.get("area") or None, request.args.get("year")))


def park_indicators(park_id: str) -> dict | None:
    """A park page's indicators (latest survey year), or None when no survey is loaded."""
    data_dir, url = _settings()
    if not measured.years(data_dir):
        return None
    return indicators_for(park_id, None)


def shown_figures(recorded: pd.DataFrame) -> pd.DataFrame:
    """The figures pages show: the recorded ones with the measured built-up areas of every
    survey year, the measured outranking (:func:`parks.measured.combine`)."""
    data_dir, url = _settings()
    if not measured.years(data_dir):
        return recorded
    return measured.combine(recorded, measured.built_up_figures(catalog(), data_dir, database_url=url))


def stamp() -> str:
    """Changes with every survey or supply import (page caches key on it)."""
    return measured.version(_settings()[0])


@click.command("indicators")
@click.option("--area", default=None, help="A park, zone or city (id or name); default: all of them.")
@click.option("--year", default=None, help="A loaded survey year; default: the latest.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, as GET /api/indicators gives it.")
@with_appcontext
def indicators_command(area: str | None, year: str | None, as_json: bool):
    """Intensive-use indicators per park, zone and city from the loaded survey and supply records."""
    try:
        result = indicators_for(area, year)
    except UserError as exc:
        raise input_error(exc) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for body in result.get("areas", [result]):
        a = body["area"]
        click.echo(f"{a['id']}  {a['name_zh']} / {a['name_en']}  (survey {body['year']}, "
                   f"boundary: {a['geom_basis']})")
        for i in body["indicators"]:
            value = "—" if i["value"] is None else f"{num(i['value'], i['digits'])} {i['unit']}".strip()
            why = f"  [{i['reason_en']}]" if i["value"] is None else f"  ({i['basis']}, {i['data_date']})"
            click.echo(f"  {i['name_zh']} {i['name_en']}: {value}{why}")
