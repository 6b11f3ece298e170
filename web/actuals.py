"""Recording actual figures against the plan's targets: a page with a form and a table import
(``/actuals/``) and JSON (``/api/actuals``). Everyone signed in reads; planners and admins
write. Handlers parse the request and call :mod:`parks.actuals`; nothing is decided here.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from core.errors import UserError
from parks import actuals
from parks.actuals_table import import_table
from store import audit
from web.auth import PLANNER, VIEWER, current_actor, database, protect_api, role_required
from web.context import catalog

bp = Blueprint("actuals", __name__, url_prefix="/actuals")
api = Blueprint("actuals_api", __name__, url_prefix="/api/actuals")

HISTORY_ROWS = 50
#: the view that shows each metric against its target (others are listed here only)
VIEWS = {"built_up_km2": "pages.built_up", "investment_yi": "pages.investment", "revenue_yi": "pages.revenue"}


def _areas() -> actuals.Areas:
    return actuals.Areas(catalog())


def _filters() -> dict:
    """``?area=&year=&metric=`` checked (each optional), as :func:`parks.actuals.load` takes them."""
    args = request.args
    return {"area_id": _areas().find(args["area"]).id if args.get("area") else None,
            "year": actuals.check_year(args["year"]) if args.get("year") else None,
            "metric": actuals.check_metric(args["metric"]).key if args.get("metric") else None}


def _listed(frame, areas: actuals.Areas) -> list[dict]:
    out = []
    for r in frame.to_dict("records"):
        area = areas.by_id.get(r["area_id"])
        out.append({"area": r["area_id"], "area_kind": area.kind if area else None,
                    "name_zh": area.name_zh if area else None, "name_en": area.name_en if area else None,
                    "year": r["year"], "metric": r["metric"], "value": r["value"], "basis": r["basis"],
                    "source": r["source"], "updated_by": r["updated_by"],
                    "updated_at": r["updated_at"].isoformat(timespec="seconds") + "Z"})
    return out


def _metrics_json() -> list[dict]:
    return [{"key": m.key, "name_zh": m.name_zh, "name_en": m.name_en, "unit_zh": m.unit_zh,
             "unit_en": m.unit_en, "target": m.target or None} for m in actuals.metrics().values()]


def _record_one(body: dict) -> dict:
    figure = actuals.check_figure(_areas(), area=body.get("area"), year=body.get("year"),
                                  metric=body.get("metric"), value=body.get("value"),
                                  source=body.get("source"), basis=body.get("basis"))
    return actuals.record(database(), [figure], actor=current_actor(),
                          reason=str(body.get("reason") or ""))[0]


def _import_upload() -> dict:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserError("请选择要导入的表格（.csv 或 .xlsx）。", "Choose a table to import (.csv or .xlsx).",
                        code="no_file")
    return import_table(database(), _areas(), upload.read(), upload.filename, actor=current_actor(),
                        metric=request.form.get("metric") or None, source=request.form.get("source") or None)


# ----- page ---------------------------------------------------------------------------------

def _page(form: dict | None = None, error: UserError | None = None, status: int = 200):
    areas = _areas()
    flt = _filters()
    with database().read() as session:
        history = [audit.as_dict(e) for e in
                   audit.entries(session, audit.AuditFilter(action=actuals.ACTION), limit=HISTORY_ROWS)]
    return render_template("actuals.html", areas=areas, metrics=actuals.metrics(), flt=flt,
                           records=_listed(actuals.load(database(), **flt), areas), history=history,
                           form=form or {}, error=error, views=VIEWS, kinds=actuals.AREA_KIND_LABELS,
                           years=range(actuals.last_year(), actuals.FIRST_YEAR - 1, -1)), status


@bp.get("/")
@role_required(VIEWER)
def page():
    return _page()


@bp.post("/")
@role_required(PLANNER)
def record_form():
    try:
        done = _record_one(request.form)
    except UserError as exc:
        return _page(request.form, exc, exc.status)
    rec = done["record"]
    flash(("ok", f"已保存：{rec['area']} {rec['year']} {rec['metric']} = {rec['value']:g}，并记入审计记录。",
           f"Saved: {rec['area']} {rec['year']} {rec['metric']} = {rec['value']:g}, and recorded in the "
           "audit trail."))
    return redirect(url_for("actuals.page", metric=rec["metric"], year=rec["year"]), code=303)


@bp.post("/import")
@role_required(PLANNER)
def import_form():
    try:
        result = _import_upload()
    except UserError as exc:
        return _page(request.form, exc, exc.status)
    c, skipped = result["counts"], len(result["skipped"])
    flash(("ok", f"已导入：新增 {c['added']}，替换 {c['replaced']}，未变 {c['unchanged']}；"
                 f"跳过 {skipped} 行。",
           f"Imported: {c['added']} added, {c['replaced']} replaced, {c['unchanged']} unchanged; "
           f"{skipped} row(s) skipped."))
    return redirect(url_for("actuals.page"), code=303)


# ----- JSON ---------------------------------------------------------------------------------

@api.before_request
def _api_csrf():
    protect_api()


@api.get("")
@role_required(VIEWER)
def api_list():
    frame = actuals.load(database(), **_filters())
    return jsonify({"metrics": _metrics_json(), "actuals": _listed(frame, _areas())})


@api.post("")
@role_required(PLANNER)
def api_record():
    body = request.get_json(silent=True)
    if body is None and not request.is_json:
        body = request.form.to_dict()
    if not isinstance(body, dict):
        raise UserError("请发送 JSON 对象：{area, year, metric, value, source}。",
                        "Send a JSON object: {area, year, metric, value, source}.", code="bad_parameter")
    return jsonify(_record_one(body)), 201


@api.post("/import")
@role_required(PLANNER)
def api_import():
    result = _import_upload()
    return jsonify({k: v for k, v in result.items() if k != "results"}
                   | {"records": [r["record"] for r in result["results"]]}), 201
