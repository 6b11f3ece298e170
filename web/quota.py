"""Quota ledger and parcel checks for land-resources staff (issue 3).

Pages under ``/quota`` (blueprint ``quota``) and JSON under ``/api/quota`` (blueprint
``quota_api``, registered by :func:`init_app`). Handlers parse the request and call
:mod:`parks.ledger`, :mod:`parks.check_records` and :mod:`layers`; nothing is decided here.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from core.errors import UserError
from geo.crs import crs_label
from geo.errors import CRSError
from geo.units import M2_PER_HA, M2_PER_MU, survey_areas
from geo.vector_io import upload_workspace
from layers.labels import attribute_text, beijing_time
from layers.print.check_report import CRS_HOW, report_csv, report_pdf
from layers.web.offline import map_parts
from layers.web.parcel_map import parcel_map
from parks import ledger
from parks import provenance as pv
from parks.check_records import (
    areas_around,
    load_check,
    located_areas,
    located_ids,
    recent_checks,
    run_check,
)
from parks.checks import VERDICT_LABELS
from parks.ledger import NotFound
from store import audit
from store.models import APPROVED, RELEASED, RESERVED
from web.auth import (
    LAND_STAFF,
    VIEWER,
    current_actor,
    database,
    protect_api,
    role_required,
)
from web.basemap import basemap_spec
from web.context import catalog
from web.i18n import current_lang, download_lang

bp = Blueprint("quota", __name__, url_prefix="/quota")
api = Blueprint("quota_api", __name__, url_prefix="/api/quota")

#: parcels listed on the verdict page; the CSV report has all of them
PAGE_ROWS = 300
UNITS = {"ha": M2_PER_HA, "mu": M2_PER_MU, "m2": 1.0}
AUDIT_PAGE = 200
#: ledger rows a page (and an API answer) lists: a zones layer may hold a million parcels
LEDGER_PAGE = 500
STATUS_LABELS = {RESERVED: ("已预留", "reserved"), APPROVED: ("已批准", "approved"),
                 RELEASED: ("已释放", "released")}


@bp.context_processor
def _labels():
    return {"basis_labels": pv.LABELS, "verdict_labels": VERDICT_LABELS,
            "status_labels": STATUS_LABELS, "crs_how": CRS_HOW, "attribute_text": attribute_text,
            "when": lambda utc, zone=True: beijing_time(utc, current_lang(), zone=zone),
            "json_text": lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)}


# ----- helpers shared by pages and API ----------------------------------------------------

def _sync_ledger() -> None:
    """Give parks and zones imported since start-up their ledger rows (adds only what is
    missing; one query when the served versions are seeded already)."""
    ledger.seed(database(), catalog())


def _year(raw: str | None = None) -> int:
    raw = str(raw if raw is not None else request.values.get("year") or "")
    if not raw:
        return ledger.SEED_YEAR
    if not re.fullmatch(r"(19|20)\d\d", raw):
        raise UserError("年度须为四位数字，如 2013。", "The year must be four digits, e.g. 2013.",
                            code="bad_parameter")
    return int(raw)


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10**7:
        raise UserError("page 须为从 1 起的整数。", "page must be a whole number from 1.",
                        code="bad_parameter")
    return int(raw)


def _area_m2(value, unit: str) -> float:
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        number = -1.0
    m2 = number * UNITS.get(unit, math.nan)
    if not 0 <= m2 < math.inf:
        raise UserError("请填写不小于 0 的指标数值，单位为公顷、亩或平方米。",
                            "Give the quota as a number of 0 or more, in ha, mu or m².",
                            code="bad_quota")
    return m2


def _run_upload_check() -> int:
    """Save the upload to a temporary folder, check it, store the check; returns its id."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserError("请选择要核查的文件。", "Choose a file to check.", code="no_file")
    suffix = "".join(re.findall(r"\.[A-Za-z0-9]{1,8}", Path(upload.filename).name)[-2:]).lower()
    _sync_ledger()
    with upload_workspace() as tmp:
        path = tmp / f"upload{suffix}"
        upload.save(path)
        return run_check(database(), path, filename=upload.filename, catalog=catalog(),
                         actor=current_actor(), year=_year(), crs=request.form.get("crs"),
                         encoding=request.form.get("encoding"), datum=request.form.get("datum"),
                         declared=request.form.get("park"))


def _rounded_totals(totals: dict) -> dict:
    return {k: survey_areas(v)["m2"] if k.endswith("_m2") else v for k, v in totals.items()}


def _check_json(stored) -> dict:
    return {"check_id": stored.id, "created_at": stored.created_at.isoformat(timespec="seconds") + "Z",
            "actor": stored.actor, "filename": stored.filename, "year": stored.result.year,
            "meta": stored.meta, "notes": [{"zh": zh, "en": en} for zh, en in stored.result.notes],
            "unreadable": stored.result.unreadable,
            "verdict": stored.result.verdict, "totals": _rounded_totals(stored.result.totals()),
            "parcels": stored.summaries(),
            "links": {"page": url_for("quota.verdict", check_id=stored.id),
                      "pdf": url_for("quota.report", check_id=stored.id, fmt="pdf"),
                      "csv": url_for("quota.report", check_id=stored.id, fmt="csv")}}


def _stored(check_id: int):
    with database().read() as session:
        return load_check(session, check_id)


def _active_allocations():
    with database().read() as session:
        return ledger.active_allocations(session)


def _decide_on_page(action, back: str):
    """Run a ledger change from a page form; a refusal comes back as a message on ``back``."""
    try:
        action()
        flash(("ok", "已保存，并记入审计记录。", "Saved and recorded in the audit trail."))
    except UserError as exc:
        flash(("error", exc.zh, exc.en))
    return redirect(back, code=303)


# ----- pages ------------------------------------------------------------------------------

@bp.get("/")
@role_required(VIEWER)
def ledger_page():
    year, page = _year(), _page()
    _sync_ledger()
    with database().read() as session:
        rows = ledger.rows(session, year, limit=LEDGER_PAGE, offset=(page - 1) * LEDGER_PAGE)
        pages = max(1, math.ceil(ledger.count(session, year) / LEDGER_PAGE))
        years = ledger.years(session)
    cat = catalog()
    located = located_ids(cat, [r["area_id"] for r in rows])
    parks = cat.attributes("parks", ("id", "kind"))
    candidates = set(parks.loc[parks["kind"] == "candidate", "id"])
    return render_template("quota/ledger.html", rows=rows, year=year, years=years, located=located,
                           candidates=candidates, seed=ledger.seed_rule(), page=page, pages=pages)


@bp.get("/areas/<area_id>")
@role_required(VIEWER)
def area(area_id: str):
    year = _year()
    with database().read() as session:
        row = next(iter(ledger.rows(session, year, [area_id])), None)
        allocations = ledger.allocations(session, area_id=area_id)
    if row is None:
        raise NotFound(f"{year} 年台账中没有“{area_id}”。", f"The {year} ledger has no area '{area_id}'.",
                       code="unknown_area")
    return render_template("quota/area.html", row=row, year=year, allocations=allocations)


@bp.post("/areas/<area_id>/quota")
@role_required(LAND_STAFF)
def edit_quota(area_id: str):
    year = _year()
    return _decide_on_page(
        lambda: ledger.set_quota(database(), area_id, year,
                                 _area_m2(request.form.get("value"), request.form.get("unit", "ha")),
                                 actor=current_actor(), reason=request.form.get("reason", "")),
        url_for("quota.area", area_id=area_id, year=year))


@bp.get("/check")
@role_required(VIEWER)
def check_form():
    with database().read() as session:
        checks = recent_checks(session)
    return render_template("quota/check.html", areas=located_areas(catalog()), form={}, error=None,
                           checks=checks)


@bp.post("/check")
@role_required(VIEWER)
def check_upload():
    try:
        check_id = _run_upload_check()
    except UserError as exc:
        with database().read() as session:
            checks = recent_checks(session)
        candidates = [(c, crs_label(c)) for c in exc.candidates] if isinstance(exc, CRSError) else []
        return render_template("quota/check.html", areas=located_areas(catalog()), form=request.form,
                               error=exc, candidates=candidates, checks=checks), exc.status
    return redirect(url_for("quota.verdict", check_id=check_id), code=303)


@bp.get("/checks/<int:check_id>")
@role_required(VIEWER)
def verdict(check_id: int):
    stored = _stored(check_id)
    rows = stored.result.rows
    with database().read() as session:
        reserved = {a.parcel_no: a for a in ledger.allocations(session, check_id=check_id)}
    cat = catalog()
    m = parcel_map(rows, areas_around(cat, rows), lang=current_lang(), allocations=_active_allocations(),
                   counties=cat.boundaries("county"), tile_url=current_app.config["TILE_URL"],
                   tile_attribution=current_app.config["TILE_ATTRIBUTION"],
                   tile_key=current_app.config["TILE_KEY"], basemap=basemap_spec())
    return render_template("quota/verdict.html", stored=stored, summaries=stored.summaries(PAGE_ROWS),
                           totals=stored.result.totals(), map=map_parts(m), reserved=reserved,
                           page_rows=PAGE_ROWS)


@bp.get("/checks/<int:check_id>/report.<fmt>")
@role_required(VIEWER)
def report(check_id: int, fmt: str):
    stored = _stored(check_id)
    name = f"parcel-check-{check_id}"
    if fmt == "csv":
        return send_file(io.BytesIO(report_csv(stored)), mimetype="text/csv", as_attachment=True,
                         download_name=f"{name}.csv")
    if fmt != "pdf":
        raise UserError("报告格式须为 pdf 或 csv。", "The report format must be pdf or csv.",
                            code="bad_parameter")
    pdf = report_pdf(stored, areas_around(catalog(), stored.result.rows), lang=download_lang(),
                     allocations=_active_allocations(), data_version=catalog().data_version())
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{name}.pdf")


@bp.post("/checks/<int:check_id>/parcels/<int:no>/reserve")
@role_required(LAND_STAFF)
def reserve(check_id: int, no: int):
    stored = _stored(check_id)
    return _decide_on_page(
        lambda: ledger.reserve(database(), stored.parcel(no), year=stored.result.year,
                               check_id=check_id, actor=current_actor(),
                               reason=request.form.get("reason", "")),
        url_for("quota.verdict", check_id=check_id))


@bp.post("/allocations/<int:alloc_id>/<any(approve, release):action>")
@role_required(LAND_STAFF)
def decide(alloc_id: int, action: str):
    change = ledger.approve if action == "approve" else ledger.release
    return _decide_on_page(
        lambda: change(database(), alloc_id, actor=current_actor(), reason=request.form.get("reason", "")),
        request.form.get("back") if (request.form.get("back") or "").startswith("/quota/")
        else url_for("quota.ledger_page"))


def _audit_filter() -> audit.AuditFilter:
    return audit.AuditFilter(action=request.args.get("action") or None,
                             actor=request.args.get("actor") or None,
                             target=request.args.get("target") or None)


@bp.get("/audit")
@role_required(LAND_STAFF)
def audit_page():
    flt = _audit_filter()
    with database().read() as session:
        entries = [audit.as_dict(e) | {"at_utc": e.at}
                   for e in audit.entries(session, flt, limit=AUDIT_PAGE)]
    return render_template("quota/audit.html", entries=entries, flt=flt, limit=AUDIT_PAGE)


@bp.get("/audit.csv")
@role_required(LAND_STAFF)
def audit_csv():
    with database().read() as session:
        body = audit.to_csv(audit.entries(session, _audit_filter(), limit=None))
    return send_file(io.BytesIO(("\ufeff" + body).encode("utf-8")), mimetype="text/csv",
                     as_attachment=True, download_name="audit.csv")


# ----- JSON API ---------------------------------------------------------------------------

@api.before_request
def _api_csrf():
    protect_api()


def _json_body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


@api.get("/ledger")
@role_required(VIEWER)
def api_ledger():
    year, page = _year(), _page()
    _sync_ledger()
    with database().read() as session:
        rows = ledger.rows(session, year, limit=LEDGER_PAGE, offset=(page - 1) * LEDGER_PAGE)
        total = ledger.count(session, year)
    for r in rows:
        r["updated_at"] = r["updated_at"].isoformat(timespec="seconds") + "Z"
        for key in ("quota", "reserved", "approved", "remaining"):
            m2 = r[f"{key}_m2"]
            areas = {} if m2 is None else survey_areas(m2)
            for unit in ("m2", "ha", "mu"):
                r[f"{key}_{unit}"] = areas.get(unit)
    return jsonify({"year": year, "page": page, "pages": max(1, math.ceil(total / LEDGER_PAGE)),
                    "total": total, "areas": rows})


@api.post("/check")
@role_required(VIEWER)
def api_check():
    stored = _stored(_run_upload_check())
    return jsonify(_check_json(stored)), 201


@api.get("/checks/<int:check_id>")
@role_required(VIEWER)
def api_get_check(check_id: int):
    return jsonify(_check_json(_stored(check_id)))


def _allocation_json(a) -> dict:
    areas = survey_areas(a.area_m2)
    return {"id": a.id, "area_id": a.area_id, "year": a.year, "status": a.status, "label": a.label,
            "area_m2": areas["m2"], "area_ha": areas["ha"], "area_mu": areas["mu"],
            "check_id": a.check_id, "parcel_no": a.parcel_no}


@api.post("/reserve")
@role_required(LAND_STAFF)
def api_reserve():
    body = _json_body()
    try:
        check_id, no = int(body.get("check_id")), int(body.get("parcel_no"))
    except (TypeError, ValueError) as exc:
        raise UserError("请给出 check_id 和 parcel_no（整数）。",
                            "Give check_id and parcel_no (integers).", code="bad_parameter") from exc
    stored = _stored(check_id)
    alloc = ledger.reserve(database(), stored.parcel(no), year=stored.result.year, check_id=check_id,
                           actor=current_actor(), reason=body.get("reason", ""))
    return jsonify(_allocation_json(alloc)), 201


@api.post("/allocations/<int:alloc_id>/<any(approve, release):action>")
@role_required(LAND_STAFF)
def api_decide(alloc_id: int, action: str):
    change = ledger.approve if action == "approve" else ledger.release
    alloc = change(database(), alloc_id, actor=current_actor(), reason=_json_body().get("reason", ""))
    return jsonify(_allocation_json(alloc))


@api.post("/areas/<area_id>/quota")
@role_required(LAND_STAFF)
def api_set_quota(area_id: str):
    body = _json_body()
    unit = next((u for u in UNITS if body.get(f"quota_{u}") not in (None, "")), None)
    if unit is None:
        raise UserError("请给出 quota_ha、quota_mu 或 quota_m2 之一。",
                            "Give one of quota_ha, quota_mu or quota_m2.", code="bad_quota")
    q = ledger.set_quota(database(), area_id, _year(body.get("year") or ""),
                         _area_m2(body[f"quota_{unit}"], unit), actor=current_actor(),
                         reason=body.get("reason", ""))
    return jsonify({"area_id": q.area_id, "year": q.year, "quota_m2": q.quota_m2, "basis": q.basis})


@api.get("/audit")
@role_required(LAND_STAFF)
def api_audit():
    with database().read() as session:
        return jsonify({"entries": [audit.as_dict(e) for e in
                                    audit.entries(session, _audit_filter(), limit=AUDIT_PAGE)]})


def sync_ledger_at_start(app: Flask) -> None:
    """Start-up: a ledger row for every park and zone served (adds only what is missing)."""
    with app.app_context():
        _sync_ledger()
