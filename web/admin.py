"""Layer import for admins (issue 5): upload, map fields, preview, confirm, restore.

Pages under ``/admin`` (admin role only). Handlers parse the request and call
:mod:`parks.importer`; the upload waits in the instance folder between preview and confirm
(:mod:`store.import_staging`), and nothing is swapped before the admin confirms a preview
without errors. CLI: ``flask import-layer``, ``flask layer-versions``, ``flask restore-layer``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import with_appcontext

from core.errors import UserError
from geo.errors import CRSError
from layers.tiles import jobs
from layers.web.import_preview import areas_ha, import_map
from layers.web.offline import map_parts
from parks import field_mapping as fm
from parks import importer, ledger
from parks import provenance as pv
from parks.catalog import LAYERS, Catalog
from store import import_staging as staging
from store import layer_versions as lv
from store.db import Database
from web.auth import ADMIN, current_actor, database, role_required
from web.console import input_error, problem_lines
from web.context import TILES, catalog
from web.i18n import current_lang

bp = Blueprint("admin", __name__, url_prefix="/admin")

PREVIEW_ROWS = 100
COUNTY_TOLERANCE_M = 100.0
CHOICE_FIELDS = ("layer", "mode", "crs", "encoding", "datum")


def _staging_root() -> Path:
    return Path(current_app.instance_path) / "imports"


def _region(cat: Catalog):
    return cat.boundaries("province", 0).geometry.union_all()


def _layer_switched(app: Flask, layer: str) -> dict | None:
    """After a layer serves another version: new park/zone IDs get their quota ledger rows
    (existing rows are never changed), and the version's vector tiles start building in the
    background (the map serves the previous tiles until they are ready)."""
    if layer in ("parks", "zones"):
        ledger.seed(app.extensions["atlas_db"], app.extensions["atlas_catalog"])
    return app.extensions[TILES].build_if_big(layer)


def _plan(token: str) -> tuple[importer.ImportPlan, dict]:
    path, choices = staging.load(_staging_root(), token)
    cat = catalog()
    plan = importer.plan_import(
        cat, choices["layer"], path, choices["filename"], mapping=choices.get("mapping"),
        units=choices.get("units"), mode=choices.get("mode") or "replace",
        crs=choices.get("crs") or None,
        encoding=choices.get("encoding") or None, datum=choices.get("datum") or None,
        region=_region(cat))
    return plan, choices


@bp.context_processor
def _labels():
    return {"basis_labels": pv.LABELS, "layers": LAYERS, "importable": importer.IMPORTABLE}


def _index(error: UserError | None = None, form=None, status: int = 200):
    cat = catalog()
    rows = []
    for name in importer.IMPORTABLE:
        history = lv.versions(cat.data_dir, name)
        served = next((v for v in history if v["current"]), None)
        tiles = current_app.extensions[TILES]
        rows.append({"name": name, "info": LAYERS[name], "features": cat.feature_count(name),
                     "served": served, "versions": len(history),
                     "tiles": tiles.job(jobs.job_id(name, cat.layer_version(name))),
                     "pickups": [p for p in importer.pickup_log(cat, name) if p["status"] == "refused"][:3]})
    candidates = [(c, f"EPSG:{c}") for c in error.candidates] if isinstance(error, CRSError) else []
    return render_template("admin/index.html", rows=rows, error=error, form=form or {},
                           candidates=candidates), status


@bp.get("/")
@role_required(ADMIN)
def index():
    return _index()[0]


@bp.post("/import")
@role_required(ADMIN)
def upload():
    upload = request.files.get("file")
    form = {k: (request.form.get(k) or "").strip() for k in CHOICE_FIELDS}
    if upload is None or not upload.filename:
        return _index(UserError("请选择要导入的文件。", "Choose a file to import.", code="no_file"),
                      form, 400)
    try:
        importer.check_layer(form["layer"])
        token = staging.stage(_staging_root(), upload.save, upload.filename, form)
    except UserError as exc:
        return _index(exc, form, exc.status)
    try:
        _plan(token)
    except BaseException as exc:  # unreadable as a whole, over a budget, or worse: nothing is kept
        staging.drop(_staging_root(), token)
        if isinstance(exc, UserError):
            return _index(exc, form, exc.status)
        raise
    return redirect(url_for("admin.preview", token=token))


@bp.get("/import/<token>")
@role_required(ADMIN)
def preview(token: str):
    plan, choices = _plan(token)
    return _render_preview(token, plan, choices)


def _render_preview(token: str, plan: importer.ImportPlan, choices: dict, status: int = 200):
    cat = catalog()
    table, map_html = [], None
    if plan.result is not None:
        current = cat.layer(plan.layer)
        shown = plan.result.head(PREVIEW_ROWS)
        table = list(zip(shown.to_dict("records"), areas_ha(shown), strict=True))
        m = import_map(plan.layer, current, plan.result, lang=current_lang(),
                       points=LAYERS[plan.layer].geometry == "point",
                       counties=cat.boundaries("county", COUNTY_TOLERANCE_M))
        map_html = map_parts(m)
    mapped = [f for f in fm.fields(plan.layer) if f.name in plan.mapping]
    return render_template(
        "admin/preview.html", token=token, plan=plan, choices=choices, fields=fm.fields(plan.layer),
        mapped=mapped, unit_labels=fm.UNIT_LABELS, area_units=fm.AREA_UNITS, money_units=fm.MONEY_UNITS,
        table=table, map=map_html, preview_rows=PREVIEW_ROWS), status


@bp.post("/import/<token>/mapping")
@role_required(ADMIN)
def remap(token: str):
    plan, _ = _plan(token)
    mapping = {f.name: request.form.get(f"map_{f.name}", "") for f in fm.fields(plan.layer)}
    units = {f.name: request.form.get(f"unit_{f.name}", "") for f in fm.fields(plan.layer) if f.unit}
    mode = request.form.get("mode") or "replace"
    staging.update(_staging_root(), token, mapping={k: v for k, v in mapping.items() if v},
                   units={k: v for k, v in units.items() if v}, mode=mode)
    return redirect(url_for("admin.preview", token=token))


@bp.post("/import/<token>/commit")
@role_required(ADMIN)
def commit(token: str):
    plan, choices = _plan(token)
    if not plan.ok:
        return _render_preview(token, plan, choices, 400)
    with database().write() as session:
        version = importer.commit_import(catalog(), plan, actor=current_actor(), session=session,
                                         reason=request.form.get("reason", "").strip())
    staging.drop(_staging_root(), token)
    _layer_switched(current_app, plan.layer)
    info = LAYERS[plan.layer]
    flash(("ok", f"已导入图层“{info.title_zh}”（版本 {version}），并记入审计记录。",
           f"Imported layer '{info.title_en}' (version {version}); recorded in the audit trail."))
    return redirect(url_for("admin.layer_history", name=plan.layer))


@bp.post("/import/<token>/cancel")
@role_required(ADMIN)
def cancel(token: str):
    staging.drop(_staging_root(), token)
    flash(("ok", "已取消导入，未做任何更改。", "Import cancelled; nothing was changed."))
    return redirect(url_for("admin.index"))


@bp.get("/layers/<name>")
@role_required(ADMIN)
def layer_history(name: str):
    importer.check_layer(name)
    cat = catalog()
    return render_template("admin/history.html", name=name, info=LAYERS[name],
                           versions=lv.versions(cat.data_dir, name),
                           pickups=importer.pickup_log(cat, name))


@bp.post("/layers/<name>/restore")
@role_required(ADMIN)
def restore(name: str):
    version = request.form.get("version", "")
    with database().write() as session:
        importer.restore(catalog(), name, version, actor=current_actor(), session=session,
                         reason=request.form.get("reason", "").strip())
    _layer_switched(current_app, name)
    flash(("ok", f"已恢复版本 {version}，并记入审计记录。",
           f"Restored version {version}; recorded in the audit trail."))
    return redirect(url_for("admin.layer_history", name=name))


# ----- CLI ---------------------------------------------------------------------------------

def _echo_plan(plan: importer.ImportPlan) -> None:
    r = plan.read
    if r is not None:
        click.echo(f"read {plan.filename}: {r.format}, {len(r.gdf)} features, "
                   f"CRS {r.source_crs} ({r.crs_how}), "
                   f"encoding {r.encoding or '-'} ({r.encoding_how or '-'})")
        for _, en in r.notes:
            click.echo(f"  note: {en}")
        click.echo("mapping: " + ", ".join(f"{k}={v}" + (f":{plan.units[k]}" if plan.units.get(k) else "")
                                           for k, v in plan.mapping.items()))
    for line in problem_lines(plan.problems, limit=importer.MAX_LISTED):
        click.echo(f"  {line}")
    if plan.changes:
        c = plan.changes
        click.echo(f"changes ({c['mode']}): {c['before']} -> {c['after']} features; "
                   f"added {len(c['added'])}, removed {len(c['removed'])}, changed {len(c['changed'])}, "
                   f"unchanged {c['unchanged']}")


@click.command("import-layer")
@click.argument("layer", type=click.Choice(importer.IMPORTABLE))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", default=None, help="field=column pairs, e.g. 'name_zh=园区名称,a13_km2=面积:ha' "
              "(default: recognised from the column names).")
@click.option("--mode", type=click.Choice(importer.MODES), default="replace", show_default=True)
@click.option("--crs", default=None,
              help="EPSG code of the coordinates (default: from the file, or inferred).")
@click.option("--encoding", default=None, help="utf-8, gbk or gb18030 (default: .cpg or detected).")
@click.option("--datum", type=click.Choice(["gcj02", "bd09"]), default=None,
              help="Convert GCJ-02/BD-09 degree coordinates.")
@click.option("--reason", default="", help="Why (recorded in the audit trail).")
@click.option("--yes", is_flag=True, help="Import without asking (when the check finds no errors).")
@with_appcontext
def import_layer_command(layer, file, mapping, mode, crs, encoding, datum, reason, yes):
    """Import LAYER from FILE: check, show what changes, then swap it in (audit actor 'cli')."""
    cat = current_app.extensions["atlas_catalog"]
    try:
        fields, units = fm.parse_mapping(mapping, layer) if mapping else (None, None)
        plan = importer.plan_import(cat, layer, file, file.name, mapping=fields, units=units, mode=mode,
                                    crs=crs, encoding=encoding, datum=datum, region=_region(cat))
    except UserError as exc:
        raise input_error(exc) from exc
    _echo_plan(plan)
    if not plan.ok:
        raise click.ClickException("not imported: fix the errors above / 存在错误，未导入")
    if not yes:
        click.confirm("Swap the layer in? / 确认替换图层？", abort=True)
    with database().write() as session:
        version = importer.commit_import(cat, plan, actor="cli", session=session, reason=reason)
    job = _layer_switched(current_app, layer)
    click.echo(f"imported {layer} as version {version}")
    if job:
        click.echo(f"vector tiles are building in the background (job {job['id']}): "
                   "`flask tiles status` or GET /api/jobs/<job> shows progress; the map serves the "
                   "previous tiles until they are ready / 矢量切片正在后台生成")


@click.command("layer-versions")
@click.argument("layer", type=click.Choice(importer.IMPORTABLE))
@with_appcontext
def layer_versions_command(layer):
    """List the stored versions of LAYER (the one served is marked *)."""
    for v in lv.versions(current_app.extensions["atlas_catalog"].data_dir, layer):
        mark = "*" if v["current"] else " "
        source = v.get("source_file") or v.get("origin")
        click.echo(f"{mark} {v['version']}\t{v.get('features')} features\t{source}\t{v.get('actor', '')}")


@click.command("restore-layer")
@click.argument("layer", type=click.Choice(importer.IMPORTABLE))
@click.argument("version")
@click.option("--reason", default="", help="Why (recorded in the audit trail).")
@with_appcontext
def restore_layer_command(layer, version, reason):
    """Serve an earlier VERSION of LAYER again (see layer-versions)."""
    try:
        with database().write() as session:
            importer.restore(current_app.extensions["atlas_catalog"], layer, version, actor="cli",
                             session=session, reason=reason)
    except UserError as exc:
        raise input_error(exc) from exc
    _layer_switched(current_app, layer)
    click.echo(f"{layer} now serves {version}")


def pick_up_dropped_layers(app: Flask, db: Database) -> None:
    """Start-up: import layer files dropped into ``DATA_DIR/shapefiles/`` (validated like an upload)."""
    cat = app.extensions["atlas_catalog"]
    if importer.dropped_files(cat):
        for outcome in importer.pickup_dropped(cat, write_session=db.write, region=_region(cat)):
            app.logger.info("dropped-in layer file %s: %s", outcome["file"], outcome["status"])
            _layer_switched(app, outcome["layer"])
