"""Importing the land-use survey (三调 DLTB) and land-supply records (供地): API and CLI.

``POST /api/survey`` and ``POST /api/supply`` (multipart ``file``; land staff and admins) check
the file's format, layer, CRS and fields at once (400 with the bilingual message when that
fails), then answer ``202`` with a job whose progress ``GET /api/jobs/<id>`` reports
(:mod:`parks.survey_jobs`). ``flask survey import FILE`` and ``flask supply import FILE`` do the
same work in the foreground with a progress bar.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask.cli import AppGroup, with_appcontext

from core.errors import UserError
from geo.upload_stream import STREAM_SUFFIXES
from geo.vector_io import upload_workspace
from parks import survey_import, survey_jobs
from parks.field_mapping import AREA_UNITS, parse_mapping
from store import survey as stored
from web.auth import LAND_STAFF, current_actor, protect_api, role_required
from web.console import input_error
from web.context import catalog
from web.indicators import indicators_command

api = Blueprint("survey_api", __name__, url_prefix="/api")


@api.before_request
def _api_csrf():
    protect_api()


def _database_url() -> str:
    return current_app.config["DATABASE_URL"]


def _suffix(filename: str) -> str:
    return "".join(re.findall(r"\.[A-Za-z0-9]{1,8}", Path(filename).name)[-1:]).lower()


def _params(kind: str) -> dict:
    form = request.form
    params = {k: form.get(k) or None for k in ("crs", "encoding", "layer", "reason")}
    if kind == "survey":
        year = (form.get("year") or "").strip()
        if year and not (year.isdigit() and 1990 <= int(year) <= 2100):
            raise UserError("年份须为 1990–2100 之间的四位数字。", "The year must be four digits, 1990–2100.",
                            code="bad_year")
        params["year"] = int(year) if year else None
    else:
        params["mapping"] = parse_mapping(form.get("mapping", ""), "supply")[0] or None
        params["area_unit"] = form.get("area_unit") or None
    return params


def _start(kind: str):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserError("请选择要导入的文件。", "Choose a file to import.", code="no_file")
    if _suffix(upload.filename) not in STREAM_SUFFIXES:
        raise UserError("请上传 GeoPackage（.gpkg）、压缩的 Shapefile 或 File Geodatabase（.zip）。",
                        "Upload a GeoPackage (.gpkg) or a zipped Shapefile or File Geodatabase (.zip).",
                        code="unknown_format")
    params = _params(kind)
    data_dir = current_app.config["DATA_DIR"]
    with upload_workspace() as tmp:
        path = tmp / f"upload{_suffix(upload.filename)}"
        upload.save(path)
        survey_jobs.precheck(kind, path, upload.filename, params,
                             region=survey_import.henan_region(catalog()))
        state = survey_jobs.start(data_dir, kind, path, upload.filename, params, actor=current_actor(),
                                  database_url=_database_url())
    response = jsonify(state)
    response.status_code = 202
    response.headers["Location"] = url_for("tiles.job", job_id=state["id"])
    return response


@api.post("/survey")
@role_required(LAND_STAFF)
def import_survey():
    return _start("survey")


@api.post("/supply")
@role_required(LAND_STAFF)
def import_supply():
    return _start("supply")


@role_required(LAND_STAFF)
def _import_job(job_id: str) -> dict:
    state = survey_jobs.read(current_app.config["DATA_DIR"], job_id)
    if state is None:
        abort(404)
    return state


def import_job(job_id: str) -> dict | None:
    """The state of a survey or supply import job (land staff and admins only), or None when
    ``job_id`` is not such a job; ``GET /api/jobs/<id>`` (:mod:`web.tiles`) answers with it."""
    return _import_job(job_id) if survey_jobs.owns(job_id) else None


@api.get("/survey")
@role_required(LAND_STAFF)
def survey_list():
    """The survey years stored, with what each import recorded, and the supply version served."""
    data_dir = current_app.config["DATA_DIR"]
    years = [stored.survey_meta(data_dir, y) for y in stored.survey_years(data_dir)]
    try:
        supply = stored.supply_meta(data_dir)
    except stored.NoSurvey:
        supply = None
    return jsonify({"years": years, "supply": supply})


# ----- command line ---------------------------------------------------------------------------

def _progress_bar(label: str):
    bar = click.progressbar(length=1, label=label, show_pos=True)

    def progress(done: int, total: int, step: str) -> None:
        bar.length = max(total, 1)
        bar.label = f"{label} · {step}"
        bar.update(done - bar.pos)

    return bar, progress


def _database():
    from web.auth import database

    return database()


_common = [
    click.argument("file", type=click.Path(exists=True, path_type=Path)),
    click.option("--crs", default=None, help="The file's CRS when it has no .prj (EPSG code, e.g. 4547)."),
    click.option("--encoding", default=None, help="utf-8, gbk or gb18030 (default: .cpg or detected)."),
    click.option("--layer", default=None, help="The layer to read when the file holds several."),
    click.option("--reason", default="", help="Why (recorded in the audit trail)."),
]


def _with_common(command):
    for option in reversed(_common):
        command = option(command)
    return command


survey_cli = AppGroup("survey", help="The land-use survey (三调 地类图斑 DLTB): import, list, indicators.")
supply_cli = AppGroup("supply", help="Land-supply records (供地): import, list versions.")
survey_cli.add_command(indicators_command)  # flask survey indicators


@survey_cli.command("import")
@_with_common
@click.option("--year", type=click.IntRange(1990, 2100), default=None,
              help="The survey year (default: the file's SJNF).")
@with_appcontext
def survey_import_command(file, crs, encoding, layer, reason, year):
    """Import FILE (GeoPackage, zipped Shapefile, File Geodatabase) as the survey of a year."""
    bar, progress = _progress_bar(f"DLTB {file.name}")
    try:
        with bar:
            meta = survey_import.import_survey(
                _database(), current_app.config["DATA_DIR"], file, file.name, year=year, crs=crs,
                encoding=encoding, layer=layer, region=survey_import.henan_region(catalog()),
                actor="cli", reason=reason, progress=progress)
    except UserError as exc:
        raise input_error(exc) from exc
    click.echo(f"{meta['year']}: {meta['features']:,} patches / 图斑, {meta['source_crs']}, "
               f"{meta['seconds']} s")


@survey_cli.command("list")
@with_appcontext
def survey_list_command():
    """The survey years stored."""
    data_dir = current_app.config["DATA_DIR"]
    for year in stored.survey_years(data_dir):
        meta = stored.survey_meta(data_dir, year)
        click.echo("\t".join(str(v) for v in (year, meta["features"], meta.get("source_file", ""),
                                               meta.get("imported_at", ""))))


@supply_cli.command("import")
@_with_common
@click.option("--mapping", default="", help="field=column pairs, e.g. 'parcel_id=DKBH,use=TDYT'.")
@click.option("--area-unit", type=click.Choice(sorted(AREA_UNITS)), default=None,
              help="The unit of the area column when its name states none.")
@with_appcontext
def supply_import_command(file, crs, encoding, layer, reason, mapping, area_unit):
    """Import FILE as a new version of the land-supply records and serve it."""
    bar, progress = _progress_bar(f"供地 {file.name}")
    try:
        chosen = parse_mapping(mapping, "supply")[0] or None
        with bar:
            meta = survey_import.import_supply(
                _database(), current_app.config["DATA_DIR"], file, file.name, crs=crs, encoding=encoding,
                layer=layer, mapping=chosen, area_unit=area_unit,
                region=survey_import.henan_region(catalog()), actor="cli", reason=reason,
                progress=progress)
    except UserError as exc:
        raise input_error(exc) from exc
    click.echo(f"{meta['version']}: {meta['features']:,} records / 条供地记录")
