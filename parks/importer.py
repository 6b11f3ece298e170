"""Importing a layer from a delivered file: map, validate, preview, then swap atomically.

:func:`plan_import` reads the file with :func:`geo.vector_io.read_vector`, maps its columns onto
the layer's fields (:mod:`parks.field_mapping`), checks every value and geometry, and computes
what would change — writing nothing. Only :func:`commit_import` of a plan without errors writes a
new version and switches the layer to it (:mod:`store.layer_versions`), recording the import in
the audit trail in the same step. Imported values and geometries get basis ``user`` with the
file name and time; the previous version stays and :func:`restore` switches back to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from core.errors import UserError
from geo.vector_io import SUFFIXES, VectorRead, read_vector
from parks import field_mapping as fm
from parks import layer_schema
from parks import provenance as pv
from parks.catalog import LAYERS, Catalog
from store import audit
from store import layer_versions as lv
from store.recovery import journaled_switch

log = logging.getLogger(__name__)

IMPORTABLE = ("parks", "zones", "foxconn", "projects", "clusters")
MODES = ("replace", "update")
ID_PREFIX = {"parks": "park", "zones": "zone", "foxconn": "fox", "projects": "proj",
             "clusters": "cluster"}
#: the basis column of each layer's figures
FIGURE_BASIS = {"parks": "fig_basis", "zones": "area_basis", "foxconn": "inv_basis",
                "projects": "inv_basis", "clusters": "rev_basis"}
#: problems from read_vector that concern rows, reported in the list instead of refusing
ROW_CODES = ("mixed_geometry", "outside_henan", "invalid_geometry", "bad_coordinates", "unreadable_records")
DBF_TEXT_BYTES = 254
MAX_LISTED = 500
PROVENANCE_COLUMNS = ("imp_file", "imp_at")


@dataclass
class Problem:
    severity: str  # "error" blocks the import, "warning" does not
    code: str
    zh: str
    en: str
    row: int | None = None  # 1-based feature number in the file
    field: str | None = None

    def as_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "zh": self.zh, "en": self.en,
                "row": self.row, "field": self.field}


@dataclass
class ImportPlan:
    """Everything the preview shows; ``result`` is the layer as it would be after the import."""

    layer: str
    mode: str
    filename: str
    read: VectorRead | None
    columns: list[str]
    mapping: dict[str, str]
    units: dict[str, str]
    suggested: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    result: gpd.GeoDataFrame | None = None
    changes: dict = field(default_factory=dict)
    imported_at: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.errors


def _err(code, zh, en, row=None, fld=None) -> Problem:
    return Problem("error", code, zh, en, row, fld)


def _warn(code, zh, en, row=None, fld=None) -> Problem:
    return Problem("warning", code, zh, en, row, fld)


def check_layer(layer: str) -> None:
    if layer not in IMPORTABLE:
        raise UserError(f"图层“{layer}”不能导入，可选：{'、'.join(IMPORTABLE)}。",
                            f"Layer '{layer}' cannot be imported; choose one of {', '.join(IMPORTABLE)}.",
                            code="unknown_layer")


@lru_cache(maxsize=1)
def shipped_layers() -> dict[str, gpd.GeoDataFrame]:
    """The default layers as built from the shipped sources (schema, and the snapshot kept
    before a layer's first import)."""
    from parks.build import build_layers

    return {k: v for k, v in build_layers().items() if k in IMPORTABLE}


def is_built(shp: Path) -> bool:
    """Whether ``shp`` is a default layer as ``build-data`` writes it (not a file dropped over it)."""
    try:
        return "geom_basis" in pyogrio.read_info(shp)["fields"]
    except Exception:  # missing or unreadable
        return False


def served_layer(catalog: Catalog, layer: str) -> gpd.GeoDataFrame:
    """What ``layer`` serves now; the shipped build when an official file was copied over the
    default and has not been imported yet."""
    if lv.current_version(catalog.data_dir, layer) is None and not is_built(catalog.path(layer)):
        return shipped_layers()[layer]
    return catalog.layer(layer)


def schema_columns(layer: str) -> list[str]:
    """The layer's columns in order (as built), then the import provenance columns."""
    cols = [c for c in shipped_layers()[layer].columns if c != "geometry"]
    return cols + list(PROVENANCE_COLUMNS)


# --- planning --------------------------------------------------------------------------------

def plan_import(catalog: Catalog, layer: str, path, filename: str, *, mapping=None, units=None,
                mode: str = "replace", crs=None, encoding=None, datum=None, region=None,
                now: datetime | None = None) -> ImportPlan:
    """Read, map and check ``path`` for ``layer``; nothing is written.

    ``mapping`` is {layer field: file column} (default: :func:`~parks.field_mapping.suggest_mapping`),
    ``units`` {field: unit} for area/money fields. Problems a person can fix row by row end up in
    ``plan.problems``; a file that cannot be read at all raises :class:`UserError`.
    """
    check_layer(layer)
    if mode not in MODES:
        raise UserError(f"导入方式须为 {'/'.join(MODES)}。", f"Mode must be one of {', '.join(MODES)}.",
                            code="bad_mode")
    now = now or datetime.now(timezone.utc)
    geometry = LAYERS[layer].geometry
    plan = ImportPlan(layer, mode, str(filename), None, [], {}, dict(units or {}), {},
                      imported_at=now.isoformat(timespec="seconds"))
    try:
        plan.read = read_vector(path, filename, crs=crs, encoding=encoding, datum=datum,
                                geometry=geometry, region=region)
    except UserError as exc:
        if exc.code not in ROW_CODES:
            raise
        rows = exc.details.get("rows") or [None]
        plan.problems += [_err(exc.code, exc.zh, exc.en, row=r) for r in rows[:MAX_LISTED]]
        return plan
    plan.problems += [_err("unreadable_record", f"文件第 {u['row']} 条记录无法读取：{u['zh']}。",
                           f"Record {u['row']} of the file could not be read: {u['en']}.", row=u["row"])
                      for u in plan.read.unreadable]
    gdf = plan.read.gdf
    plan.columns = [c for c in gdf.columns if c != "geometry"]
    plan.suggested = fm.suggest_mapping(layer, plan.columns)
    plan.mapping = {k: v for k, v in (mapping if mapping is not None else plan.suggested).items() if v}
    values = _mapped_values(plan, gdf)
    if values is None:
        return plan
    new = _build(layer, plan, values, gdf)
    if new is None:
        return plan
    current = served_layer(catalog, layer)
    plan.result, issues = layer_schema.conform(layer, _merge(current, new, plan))
    plan.problems += [_err("bad_value", i.zh, i.en, fld=i.column) for i in issues]
    plan.changes = changes(current, plan.result, replaced_ids=set(new["id"]), mode=mode)
    return plan


def _mapped_values(plan: ImportPlan, gdf: gpd.GeoDataFrame) -> dict[str, list] | None:
    """{field: converted values}, with problems added to ``plan``; None when mapping fails."""
    layer, problems = plan.layer, plan.problems
    known = {f.name for f in fm.fields(layer)}
    for target, column in plan.mapping.items():
        if target not in known:
            problems.append(_err("unknown_field", f"图层没有字段“{target}”。",
                                 f"The layer has no field '{target}'.", fld=target))
        elif column not in plan.columns:
            problems.append(_err("unknown_column", f"文件中没有列“{column}”（字段 {target}）。",
                                 f"The file has no column '{column}' (field {target}).", fld=target))
    for f in fm.fields(layer):
        if f.required and f.name not in plan.mapping:
            problems.append(_err("unmapped_required", f"必填字段“{f.zh}”未对应到文件中的任何列。",
                                 f"The required field '{f.en}' is not mapped to any column.", fld=f.name))
    if plan.mode == "update" and "id" not in plan.mapping:
        problems.append(_err("unmapped_required", "“更新”方式需要对应“编号”列，以便找到要更新的要素。",
                             "Update mode needs the ID field mapped, to find the features to update.",
                             fld="id"))
    ignored = [c for c in plan.columns if c not in plan.mapping.values()]
    if ignored:
        problems.append(_warn("ignored_columns", f"以下列未对应任何字段，将不导入：{'、'.join(ignored)}。",
                              "These columns map to no field and will not be imported: "
                              f"{', '.join(ignored)}."))
    if plan.errors:
        return None
    values = {}
    for target, column in plan.mapping.items():
        f = fm.field(layer, target)
        values[target] = _convert(f, column, gdf[column].tolist(), plan)
    return values


def _convert(f: fm.Field, column: str, cells: list, plan: ImportPlan) -> list:
    if f.kind == "text":
        out = []
        for row, v in enumerate(cells, start=1):
            text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            raw = text.encode("utf-8")
            if len(raw) > DBF_TEXT_BYTES:
                text = raw[:DBF_TEXT_BYTES].decode("utf-8", errors="ignore")
                plan.problems.append(_warn("truncated", f"第 {row} 行“{f.zh}”超过 254 字节，已截断。",
                                           f"Row {row}: '{f.en}' is longer than 254 bytes and was cut.",
                                           row=row, fld=f.name))
            out.append(text)
        return out
    unit = plan.units.get(f.name) or fm.unit_of(column, f)
    allowed = fm.AREA_UNITS if f.unit == "km2" else fm.MONEY_UNITS if f.unit else {}
    if f.unit and unit not in allowed:
        if unit:
            plan.problems.append(_err("bad_unit", f"“{f.zh}”的单位“{unit}”无效。",
                                      f"Unit '{unit}' is not valid for '{f.en}'.", fld=f.name))
        unit = f.unit
        zh_u, en_u = fm.UNIT_LABELS[unit]
        plan.problems.append(_warn("assumed_unit", f"列“{column}”未注明单位，按{zh_u}导入。",
                                   f"Column '{column}' states no unit; read as {en_u}.", fld=f.name))
    plan.units[f.name] = unit or ""
    factor = allowed.get(unit, 1.0)
    out = []
    for row, v in enumerate(cells, start=1):
        try:
            number = fm.to_number(v)
        except ValueError:
            plan.problems.append(_err("not_a_number", f"第 {row} 行“{f.zh}”的值“{v}”不是数字。",
                                      f"Row {row}: '{f.en}' value '{v}' is not a number.",
                                      row=row, fld=f.name))
            number = None
        out.append(None if number is None else number * factor)
    return out


def _build(layer: str, plan: ImportPlan, values: dict[str, list], gdf: gpd.GeoDataFrame
           ) -> gpd.GeoDataFrame | None:
    """The imported rows in the layer's full schema, or None after errors."""
    n = len(gdf)
    ids = values.get("id") or [f"{ID_PREFIX[layer]}-u{i:03d}" for i in range(1, n + 1)]
    names = values["name_zh"]
    for row, (fid, name) in enumerate(zip(ids, names, strict=True), start=1):
        if not fid:
            plan.problems.append(_err("missing_id", f"第 {row} 行没有编号。", f"Row {row} has no ID.",
                                      row, "id"))
        if not name:
            plan.problems.append(_err("missing_name", f"第 {row} 行没有名称。", f"Row {row} has no name.",
                                      row, "name_zh"))
    seen: dict[str, int] = {}
    for row, fid in enumerate(ids, start=1):
        if fid and fid in seen:
            plan.problems.append(_err("duplicate_id", f"第 {row} 行的编号“{fid}”与第 {seen[fid]} 行重复。",
                                      f"Row {row}: ID '{fid}' repeats row {seen[fid]}.", row, "id"))
        seen.setdefault(fid, row)
    if plan.errors:
        return None
    template = shipped_layers()[layer]
    columns = schema_columns(layer)
    rep = shapely.point_on_surface(np.asarray(gdf.geometry.values, dtype=object))
    data = {}
    for col in columns:
        dtype = template[col].dtype if col in template.columns else object
        data[col] = [None] * n if pd.api.types.is_numeric_dtype(dtype) else [""] * n
    data.update({k: v for k, v in values.items()})
    data["id"] = ids
    # Pages and the ledger need an English name; without one the Chinese name stands in.
    data["name_en"] = [en or zh for en, zh in zip(data["name_en"], names, strict=True)]
    data["lon"], data["lat"] = shapely.get_x(rep).round(6).tolist(), shapely.get_y(rep).round(6).tolist()
    data["loc_prec"] = ["site"] * n
    data["src_id"] = [0] * n
    data["geom_basis"], data["geom_rule"] = [pv.USER] * n, ["user"] * n
    figures = [f.name for f in fm.fields(layer) if f.kind == "number" and f.name in values]
    basis_col = FIGURE_BASIS[layer]
    data[basis_col] = [pv.USER if any(values[c][i] is not None for c in figures) else pv.NONE
                       for i in range(n)]
    if layer == "parks":
        data["slot"], data["kind"] = list(range(1, n + 1)), ["official"] * n
    if layer == "clusters":
        data["rev_src_id"] = [0] * n
    data["imp_file"] = [Path(plan.filename).name[:DBF_TEXT_BYTES // 3]] * n
    data["imp_at"] = [plan.imported_at] * n
    return gpd.GeoDataFrame({c: data[c] for c in columns}, geometry=list(gdf.geometry.values),
                            crs=gdf.crs)


def _merge(current: gpd.GeoDataFrame, new: gpd.GeoDataFrame, plan: ImportPlan) -> gpd.GeoDataFrame:
    """``replace``: the new rows. ``update``: the current layer with rows of the same ID replaced
    and new IDs appended, in the current order."""
    if plan.mode == "replace":
        return new
    kept = current[~current["id"].isin(set(new["id"]))].reindex(columns=new.columns)
    for col in PROVENANCE_COLUMNS:
        kept[col] = kept[col].astype(object).fillna("")
    order = {fid: i for i, fid in enumerate(current["id"])}
    merged = pd.concat([kept, new], ignore_index=True)
    rank = [order.get(fid, len(order) + i) for i, fid in enumerate(merged["id"])]
    merged = merged.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=new.crs)


def changes(current: gpd.GeoDataFrame, result: gpd.GeoDataFrame, *, replaced_ids=(), mode="replace") -> dict:
    """What the import changes, by feature ID: added, removed, changed, unchanged."""
    cur = current.set_index("id")
    res = result.set_index("id")
    added = [i for i in res.index if i not in cur.index]
    removed = [i for i in cur.index if i not in res.index]
    changed, unchanged = [], []
    compare = [c for c in res.columns if c in cur.columns and c not in ("geometry", *PROVENANCE_COLUMNS)]
    for i in res.index:
        if i not in cur.index:
            continue
        a, b = cur.loc[i], res.loc[i]
        same_geom = (a.geometry is None and b.geometry is None) or (
            a.geometry is not None and b.geometry is not None and a.geometry.equals_exact(b.geometry, 1e-9))
        same_vals = all(_same(a[c], b[c]) for c in compare)
        (unchanged if same_geom and same_vals else changed).append(i)

    def named(ids, frame):
        return [{"id": i, "name_zh": frame.loc[i, "name_zh"]} for i in ids]

    return {"mode": mode, "before": len(current), "after": len(result),
            "added": named(added, res), "removed": named(removed, cur),
            "changed": named(changed, res), "unchanged": len(unchanged)}


def _missing(v) -> bool:
    """None, NaN or "" (a DBF stores an empty text and a missing one alike)."""
    return v is None or v == "" or (isinstance(v, float) and np.isnan(v))


def _same(a, b) -> bool:
    if _missing(a) and _missing(b):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(np.isclose(a, b))
    return str(a) == str(b)


# --- committing ------------------------------------------------------------------------------

def _ensure_snapshot(catalog: Catalog, layer: str) -> None:
    """Before a layer's first import, keep what it served as a version, so it can be restored."""
    if lv.versions(catalog.data_dir, layer):
        return
    default = catalog.default_path(layer)
    if is_built(default):
        gdf, source = gpd.read_file(default, engine="pyogrio", encoding="UTF-8"), "default"
    else:  # the default was overwritten by a dropped-in file: rebuild it from the sources
        gdf, source = shipped_layers()[layer], "build"
    lv.write_version(catalog.data_dir, layer, gdf, {
        "source_file": "", "origin": source, "basis": "as built (plan/sourced/derived/schematic)",
        "actor": audit.SYSTEM})


def commit_import(catalog: Catalog, plan: ImportPlan, *, actor: str, session=None, reason: str = "") -> str:
    """Write ``plan.result`` as a new version and serve it; returns the version id.

    With ``session`` (a :meth:`store.db.Database.write` session) the import is recorded in the
    audit trail in that transaction; the pointer is switched last, journaled until the commit
    and switched back should the transaction fail (:func:`store.recovery.journaled_switch`),
    so the layer and the trail agree.
    """
    if not plan.ok:
        raise UserError("导入仍有错误，请先改正后再确认。", "The import still has errors; fix them "
                            "before confirming.", code="import_has_problems")
    _ensure_snapshot(catalog, plan.layer)
    r = plan.read
    meta = {"source_file": plan.filename, "imported_at": plan.imported_at, "actor": actor,
            "mode": plan.mode, "mapping": plan.mapping, "units": plan.units, "basis": pv.USER,
            "source_crs": r.source_crs, "crs_how": r.crs_how, "encoding": r.encoding,
            "encoding_how": r.encoding_how, "format": r.format, "notes": r.notes, "reason": reason,
            "changes": {k: (len(v) if isinstance(v, list) else v) for k, v in plan.changes.items()}}
    version = lv.write_version(catalog.data_dir, plan.layer, plan.result, meta)
    previous = lv.current_version(catalog.data_dir, plan.layer)
    if session is not None:
        audit.record(session, actor, "layer.import", plan.layer,
                     before={"version": previous or lv.DEFAULT, "features": plan.changes.get("before")},
                     after={"version": version, "features": len(plan.result), "file": plan.filename,
                            "mode": plan.mode,
                            **{k: meta["changes"][k] for k in ("added", "removed", "changed")}},
                     reason=reason)
    journaled_switch(catalog.data_dir, plan.layer, version, session)
    return version


def restore(catalog: Catalog, layer: str, version: str, *, actor: str, session=None,
            reason: str = "") -> str | None:
    """Serve an earlier ``version`` of ``layer`` again; returns the version it replaced."""
    check_layer(layer)
    try:
        meta = lv.version_meta(catalog.data_dir, layer, version)
    except KeyError:
        raise UserError(f"图层 {layer} 没有版本“{version}”。",
                            f"Layer {layer} has no version '{version}'.", code="unknown_version") from None
    previous = lv.current_version(catalog.data_dir, layer)
    if session is not None:
        audit.record(session, actor, "layer.restore", layer,
                     before={"version": previous or lv.DEFAULT},
                     after={"version": version, "features": meta.get("features"),
                            "file": meta.get("source_file", "")}, reason=reason)
    journaled_switch(catalog.data_dir, layer, version, session)
    return previous


# --- files dropped into DATA_DIR/shapefiles/ -------------------------------------------------

PICKUP_LOG = "pickups.json"


def dropped_files(catalog: Catalog) -> list[tuple[str, Path]]:
    """(layer, file) for files in ``DATA_DIR/shapefiles/`` named after a layer that are not the
    default build: ``parks.zip``, ``zones.gpkg``, ``projects.csv``… or a ``<layer>.shp`` set that
    lacks the built schema (an official file copied over the default)."""
    found = []
    for layer in IMPORTABLE:
        for suffix in SUFFIXES:
            path = catalog.shapefile_dir / f"{layer}{suffix}"
            if not path.is_file() or suffix == ".txt":
                continue
            if suffix == ".shp" and is_built(path):
                continue
            found.append((layer, path))
    return found


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for part in sorted(path.parent.glob(f"{path.stem}.*")) if path.suffix == ".shp" else [path]:
        h.update(part.read_bytes())
    return h.hexdigest()


def pickup_dropped(catalog: Catalog, *, write_session=None, region=None) -> list[dict]:
    """Import each new dropped-in file (see :func:`dropped_files`) with the suggested mapping.

    Each file is handled once (by content digest, logged in ``data/layers/<layer>/pickups.json``):
    a clean one becomes the served version (audit actor ``system``); one with problems is left
    alone and its problems logged. ``write_session`` is a context manager factory for an audit
    session (``Database.write``). Returns what happened per file.
    """
    outcomes = []
    for layer, path in dropped_files(catalog):
        log_path = lv.layer_dir(catalog.data_dir, layer) / PICKUP_LOG
        seen = json.loads(log_path.read_text(encoding="utf-8")) if log_path.exists() else {}
        digest = _digest(path)
        if digest in seen:
            continue
        outcome = {"layer": layer, "file": path.name,
                   "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        try:
            plan = plan_import(catalog, layer, path, path.name, region=region)
            if plan.ok:
                if write_session is not None:
                    with write_session() as session:
                        outcome["version"] = commit_import(catalog, plan, actor=audit.SYSTEM, session=session,
                                                           reason=f"DATA_DIR/shapefiles/{path.name}")
                else:
                    outcome["version"] = commit_import(catalog, plan, actor=audit.SYSTEM,
                                                       reason=f"DATA_DIR/shapefiles/{path.name}")
                outcome["status"] = "imported"
            else:
                outcome.update(status="refused", problems=[p.as_dict() for p in plan.errors[:50]])
        except UserError as exc:
            outcome.update(status="refused", problems=[{"code": exc.code, "zh": exc.zh, "en": exc.en}])
        if outcome["status"] == "refused":
            log.warning("dropped-in %s not imported: %s", path, outcome["problems"][:3])
            if path.suffix == ".shp" and lv.current_version(catalog.data_dir, layer) is None:
                # The default itself was overwritten: serve the shipped layer, rebuilt, meanwhile.
                _ensure_snapshot(catalog, layer)
                outcome["fallback"] = lv.versions(catalog.data_dir, layer)[-1]["version"]
                lv.switch(catalog.data_dir, layer, outcome["fallback"])
        seen[digest] = outcome
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(json.dumps(seen, ensure_ascii=False, indent=1), encoding="utf-8")
        outcomes.append(outcome)
    return outcomes


def pickup_log(catalog: Catalog, layer: str) -> list[dict]:
    path = lv.layer_dir(catalog.data_dir, layer) / PICKUP_LOG
    return sorted(json.loads(path.read_text(encoding="utf-8")).values(), key=lambda o: o["at"],
                  reverse=True) if path.exists() else []
