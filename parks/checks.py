"""Parcel checks: where each parcel falls, how big it is, what it overlaps, whether quota covers it.

:func:`check_parcels` is vectorised (Shapely STRtree, areas from :mod:`geo.area`), so a
province-wide batch of 100,000 parcels takes well under a second.

Which area's quota applies (docs/land-resources.md):

* Parks may lie inside high-tech zones. The most specific area a parcel overlaps is the one
  whose quota applies: a park if the parcel overlaps any park, otherwise a zone.
* A parcel that overlaps two parks (or, outside every park, two zones) by more than
  :data:`TOLERANCE_M2` is refused as a whole (:class:`StraddleError`): it must be split first
  (a province-wide batch, :mod:`parks.batch`, marks it 不符合 instead).
* The whole parcel's ellipsoidal area is charged against the quota. Parcels of one upload are
  one application, charged in file order: the "before" of the second parcel already includes the
  first, and once the running total passes the remaining quota every later parcel of that area
  fails too. A parcel refused on its extent (no area, outside, overlap) is not charged.

Verdicts: 不符合 (fail) when any hard rule is broken; otherwise 需人工复核 (review) when anything
rests on an unconfirmed figure — a schematic park boundary (the shipped candidate footprints are
circles, not red lines), or an area with no quota; otherwise 符合 (pass). A check of a file with
records that could not be read is incomplete and never passes: it reads 不符合 (fail), and each
such record is named with its number and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from core.errors import UserError
from geo.area import ellipsoidal_and_gk_area_m2, ellipsoidal_area_m2
from geo.crs import CGCS2000
from geo.units import survey_areas
from parks import provenance as pv

#: overlaps and outside parts smaller than this are drawing noise on shared edges, not land
TOLERANCE_M2 = 1.0
#: park before zone: a lower rank is more specific
KIND_RANK = {"park": 0, "zone": 1}

PASS, FAIL, REVIEW = "pass", "fail", "review"
INFO = "info"  # a reason that does not change the verdict
VERDICT_LABELS = {PASS: ("符合", "compliant"), FAIL: ("不符合", "not compliant"),
                  REVIEW: ("需人工复核", "needs manual review")}

#: reason code -> (bit, severity); texts are in :func:`reasons`
FLAGS = {
    "no_area": (1 << 0, FAIL),
    "not_declared": (1 << 1, FAIL),
    "outside": (1 << 2, FAIL),
    "overlap": (1 << 3, FAIL),
    "overlap_upload": (1 << 4, FAIL),
    "quota_short": (1 << 5, FAIL),
    "outside_schematic": (1 << 6, REVIEW),
    "schematic": (1 << 7, REVIEW),
    "no_quota": (1 << 8, REVIEW),
    "derived_quota": (1 << 9, INFO),
    "straddles": (1 << 10, FAIL),  # only in batch checks: an upload is refused instead
}
FAIL_BITS = sum(bit for bit, sev in FLAGS.values() if sev == FAIL)
REVIEW_BITS = sum(bit for bit, sev in FLAGS.values() if sev == REVIEW)
#: failures that mean the parcel cannot take quota at all (it is not charged in the running total)
SPATIAL_FAIL_BITS = FAIL_BITS & ~FLAGS["quota_short"][0]

#: attribute columns tried, in order, for a parcel's label
LABEL_COLUMNS = ("地块名称", "名称", "name", "dkmc", "地块编号", "编号", "dkbh", "code", "bh", "label")


class StraddleError(UserError):
    """A parcel overlaps two parks (or two zones): it cannot be charged to one quota."""


@dataclass(frozen=True)
class LedgerState:
    """What the check needs from the ledger, as plain frames (see :func:`parks.ledger.state`).

    ``quotas``: indexed by area id, columns ``quota_m2`` (NaN: no quota), ``basis`` and
    ``committed_m2`` (reserved + approved). ``allocations``: active allocations with columns
    ``alloc_id``, ``area_id``, ``status``, ``label`` and geometry in EPSG:4490.
    """

    year: int
    quotas: pd.DataFrame
    allocations: gpd.GeoDataFrame

    @classmethod
    def empty(cls, year: int) -> LedgerState:
        return cls(year, pd.DataFrame(columns=["quota_m2", "basis", "committed_m2"]),
                   gpd.GeoDataFrame({"alloc_id": [], "area_id": [], "status": [], "label": []},
                                    geometry=[], crs=CGCS2000))


@dataclass
class CheckResult:
    """One row per parcel (``rows``, a GeoDataFrame in EPSG:4490) and the ledger year.

    ``overlap_ids`` / ``upload_overlaps`` hold a list where a parcel overlaps anything, else None.
    ``unreadable`` lists the file's records that could not be read (``row``, ``zh``, ``en``).
    ``attributes``: the uploaded file's own columns (BSM, DKBH, 权利人 …) as delivered, one row
    per parcel in the same order, so the verdict can be filed under the office's parcel ids.
    """

    rows: gpd.GeoDataFrame
    year: int
    notes: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)
    attributes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def verdict(self) -> str:
        v = set(self.rows["verdict"])
        return FAIL if FAIL in v or self.unreadable else REVIEW if REVIEW in v else PASS

    def unreadable_lines(self) -> list[tuple[str, str]]:
        """One line per record that could not be read: (中文, English)."""
        return [(f"文件第 {u['row']} 条记录无法读取：{u['zh']}。本次核查不完整，结论为不符合。",
                 f"Record {u['row']} of the file could not be read: {u['en']}. The check is "
                 "incomplete, so it reads not compliant.") for u in self.unreadable]

    def totals(self) -> dict:
        r = self.rows
        return {"parcels": len(r), "area_m2": float(r["area_m2"].sum()),
                "gk_area_m2": float(r["gk_area_m2"].sum()),
                "outside_m2": float(r["outside_m2"].sum()),
                "overlap_m2": float(r["overlap_m2"].sum()),
                "verdicts": {k: int((r["verdict"] == k).sum()) for k in (PASS, REVIEW, FAIL)},
                "unreadable": len(self.unreadable), "verdict": self.verdict}


#: how a check names an unconfirmed candidate park, so no verdict reads as if it were confirmed
CANDIDATE_NAME = ("候选园区“{}”", "candidate park “{}”")


def area_names(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """``{"zh": …, "en": …}``: the names of parks or zones (``name_zh``, ``name_en``, and
    ``kind`` where the layer has it), a candidate park's as :data:`CANDIDATE_NAME`."""
    candidate = (features["kind"] == "candidate").to_numpy() if "kind" in features else False
    return {lang: np.where(candidate, [pattern.format(n) for n in features[f"name_{lang}"]],
                           features[f"name_{lang}"].to_numpy(dtype=object))
            for lang, pattern in zip(("zh", "en"), CANDIDATE_NAME, strict=True)}


def quota_areas(parks: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parks and zones that have a footprint, as one frame: ``area_id``, ``kind``, names
    (a candidate park's as :data:`CANDIDATE_NAME`), ``geom_basis`` and geometry (EPSG:4490)."""
    frames = []
    for kind, gdf in (("park", parks), ("zone", zones)):
        g = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        names = area_names(g)
        frames.append(gpd.GeoDataFrame({
            "area_id": g["id"].astype(str).values, "kind": kind,
            "name_zh": names["zh"], "name_en": names["en"],
            "geom_basis": g["geom_basis"].values}, geometry=g.geometry.values, crs=g.crs))
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs).to_crs(CGCS2000)


def parcel_labels(parcels: gpd.GeoDataFrame) -> list[str]:
    """Each parcel's name from its attributes (地块名称, 名称, name, 编号 …), else 地块 N."""
    fallback = pd.Series([f"地块 {i + 1}" for i in range(len(parcels))], index=parcels.index)
    columns = {str(c).lower(): c for c in parcels.columns if c != parcels.geometry.name}
    wanted = next((columns[w] for w in LABEL_COLUMNS if w in columns), None)
    if wanted is None:
        return fallback.tolist()
    text = parcels[wanted].astype(str).str.strip()
    return text.where(parcels[wanted].notna() & (text != ""), fallback).tolist()


def _pair_areas(parcels, others, pi, oi, parcel_m2) -> np.ndarray:
    """Ellipsoidal m² of parcel ∩ other for each candidate pair (pairs whose bounding boxes meet
    will do); whole parcels where covered, 0 where they do not meet."""
    out = np.zeros(len(pi))
    if not len(pi):
        return out
    covered = shapely.covers(others[oi], parcels[pi])
    out[covered] = parcel_m2[pi[covered]]
    rest = np.flatnonzero(~covered)
    rest = rest[shapely.intersects(others[oi[rest]], parcels[pi[rest]])]
    if len(rest):
        out[rest] = ellipsoidal_area_m2(shapely.intersection(parcels[pi[rest]], others[oi[rest]]))
    return out


@dataclass
class Placement:
    """How big each parcel is and where it lies: what an engine computes before the verdict.

    ``assigned``: index into the areas frame (-1: none); ``inside_m2``: the parcel's m² inside
    it; ``straddles``: overlaps two areas of the same rank (left unassigned). Shapely computes it
    here (:func:`measure`); :mod:`parks.batch_postgis` computes the same in PostGIS.
    """

    area_m2: np.ndarray
    gk_m2: np.ndarray
    gk_epsg: np.ndarray
    assigned: np.ndarray
    inside_m2: np.ndarray
    straddles: np.ndarray


def measure(geoms, areas: gpd.GeoDataFrame, tree=None, labels=None) -> Placement:
    """Areas and placement of ``geoms`` (CGCS2000). With ``labels`` a straddling parcel raises
    :class:`StraddleError` (an upload is one application); without, it is marked."""
    area_m2, gk_m2, gk_codes = ellipsoidal_and_gk_area_m2(geoms)
    tree = tree if tree is not None else shapely.STRtree(geoms)
    return Placement(area_m2, gk_m2, gk_codes, *_assign_areas(geoms, tree, area_m2, areas, labels))


def _assign_areas(geoms, tree, parcel_m2, areas: gpd.GeoDataFrame, labels):
    """The applicable area index per parcel (-1: none), the m² of the parcel inside it and
    whether it straddles two areas (raised as :class:`StraddleError` when ``labels`` are given).

    ``tree`` is the parcels' STRtree: querying it with the few areas is cheaper than querying
    the areas with every parcel."""
    area_geoms = np.asarray(areas.geometry.values, dtype=object)
    shapely.prepare(area_geoms)
    ai, pi = tree.query(area_geoms)  # bounding boxes: most pairs are settled by covers alone
    inside = _pair_areas(geoms, area_geoms, pi, ai, parcel_m2)
    keep = inside > TOLERANCE_M2
    pairs = pd.DataFrame({"p": pi[keep], "a": ai[keep], "m2": inside[keep],
                          "rank": areas["kind"].map(KIND_RANK).to_numpy()[ai[keep]]})
    pairs = pairs[pairs["rank"] == pairs.groupby("p")["rank"].transform("min")]
    counts = pairs.groupby("p")["a"].transform("size")
    straddles = np.zeros(len(geoms), dtype=bool)
    if (counts > 1).any():
        if labels is not None:
            _raise_straddle(pairs[counts > 1], areas, labels)
        straddles[pairs["p"].to_numpy()[(counts > 1).to_numpy()]] = True
        pairs = pairs[counts == 1]
    assigned = np.full(len(geoms), -1)
    inside_m2 = np.zeros(len(geoms))
    assigned[pairs["p"].to_numpy()] = pairs["a"].to_numpy()
    inside_m2[pairs["p"].to_numpy()] = pairs["m2"].to_numpy()
    return assigned, inside_m2, straddles


def _raise_straddle(pairs: pd.DataFrame, areas, labels) -> None:
    lines_zh, lines_en = [], []
    for p, group in list(pairs.groupby("p"))[:5]:
        zh = "、".join(areas["name_zh"].iloc[group["a"]])
        en = "; ".join(areas["name_en"].iloc[group["a"]])
        lines_zh.append(f"第 {p + 1} 号地块（{labels[p]}）跨越：{zh}")
        lines_en.append(f"parcel {p + 1} ({labels[p]}) straddles: {en}")
    more = pairs["p"].nunique() - len(lines_zh)
    tail_zh, tail_en = (f"；另有 {more} 块" if more > 0 else ""), (f"; {more} more" if more > 0 else "")
    raise StraddleError(
        "；".join(lines_zh) + tail_zh + "。一个地块只能计入一个园区的指标，请按园区边界拆分后重新上传。",
        "; ".join(lines_en) + tail_en + ". A parcel can be charged to one park's quota only: "
        "split it along the park boundary and upload again.",
        code="straddles_parks", details={"parcels": sorted(int(p) + 1 for p in pairs["p"].unique())})


def _lists(n: int, items: dict[int, list]) -> np.ndarray:
    """An object array of ``n`` cells: the list for each key of ``items``, None elsewhere."""
    out = np.full(n, None, dtype=object)
    for k, v in items.items():
        out[k] = v
    return out


def _overlaps(geoms, tree, parcel_m2, others, other_ids):
    """Per parcel: m² overlapping ``others`` and the ids overlapped (lists, only where any)."""
    overlap_m2 = np.zeros(len(geoms))
    ids: dict[int, list] = {}
    if not len(others):
        return overlap_m2, ids
    oi, pi = tree.query(others, predicate="intersects")
    m2 = _pair_areas(geoms, others, pi, oi, parcel_m2)
    keep = m2 > TOLERANCE_M2
    np.add.at(overlap_m2, pi[keep], m2[keep])
    for p, o in zip(pi[keep], oi[keep], strict=True):
        ids.setdefault(int(p), []).append(other_ids[o])
    return overlap_m2, ids


def _self_overlaps(geoms, tree, parcel_m2):
    """Parcels of the same upload that overlap each other (not merely share an edge)."""
    pi, oi = tree.query(geoms, predicate="intersects")
    distinct = pi < oi
    pi, oi = pi[distinct], oi[distinct]
    touching = shapely.touches(geoms[pi], geoms[oi])
    pi, oi = pi[~touching], oi[~touching]
    m2 = _pair_areas(geoms, geoms, pi, oi, parcel_m2)
    keep = m2 > TOLERANCE_M2
    partners: dict[int, list] = {}
    for a, b in zip(pi[keep], oi[keep], strict=True):
        partners.setdefault(int(a), []).append(int(b) + 1)
        partners.setdefault(int(b), []).append(int(a) + 1)
    return partners


def check_parcels(parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, ledger: LedgerState, *,
                  declared: str | None = None, labels: list[str] | None = None) -> CheckResult:
    """Check every parcel against the parks and zones (``areas``, see :func:`quota_areas`) and
    the ledger.

    ``parcels``: valid polygons in EPSG:4490. ``declared``: the area id the clerk applies for
    (a parcel elsewhere then fails). Raises :class:`StraddleError` for a parcel across two
    parks, and :class:`UserError` for no parcels or an unknown declared area.
    """
    if parcels.empty:
        raise UserError("文件中没有地块。", "The file holds no parcels.", code="no_polygons")
    if declared and declared not in set(areas["area_id"]):
        raise UserError(f"没有范围可供核对的园区或高新区“{declared}”。",
                            f"There is no park or zone '{declared}' with a footprint to check against.",
                            code="unknown_park")
    parcels = parcels.to_crs(CGCS2000)
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    labels = labels or parcel_labels(parcels)
    tree = shapely.STRtree(geoms)
    placement = measure(geoms, areas, tree, labels)
    allocs = ledger.allocations
    overlaps = _overlaps(geoms, tree, placement.area_m2, np.asarray(allocs.geometry.values, dtype=object),
                         allocs["alloc_id"].tolist())
    rows = judge(geoms, placement, areas, ledger, labels=labels, declared=declared,
                 overlaps=overlaps, upload_partners=_self_overlaps(geoms, tree, placement.area_m2))
    attributes = pd.DataFrame(parcels.drop(columns=parcels.geometry.name)).reset_index(drop=True)
    return CheckResult(rows, ledger.year, attributes=attributes)


def judge(geoms, placement: Placement, areas: gpd.GeoDataFrame, ledger: LedgerState, *,
          labels=None, declared: str | None = None, overlaps=None, upload_partners=None,
          in_file_order: bool = True) -> gpd.GeoDataFrame:
    """The result rows: the rules applied to a :class:`Placement`, whichever engine computed it.

    ``overlaps``: (m² per parcel, {parcel: ledger ids}) with the ledger's allocations;
    ``upload_partners``: {parcel: [other parcels' numbers]}. ``in_file_order``: the parcels are
    one application, charged in file order; otherwise each parcel is checked on its own against
    the quota left at the start (a batch check of unrelated parcels).
    """
    columns = judged_columns(len(geoms), placement, areas, ledger, labels=labels, declared=declared,
                             overlaps=overlaps, upload_partners=upload_partners, in_file_order=in_file_order)
    return with_none(gpd.GeoDataFrame(columns, geometry=geoms, crs=CGCS2000))


def judged_columns(n: int, placement: Placement, areas: gpd.GeoDataFrame, ledger: LedgerState, *,
                   labels=None, declared: str | None = None, overlaps=None, upload_partners=None,
                   in_file_order: bool = True) -> dict[str, np.ndarray]:
    """:func:`judge`'s rows as columns of arrays, for ``n`` parcels (what a batch check writes
    out without building a frame)."""
    area_m2, assigned, inside_m2 = placement.area_m2, placement.assigned, placement.inside_m2
    overlap_m2, overlap_ids = overlaps if overlaps is not None else (np.zeros(n), {})
    upload_partners = upload_partners or {}
    has_area = assigned >= 0
    pick = np.where(has_area, assigned, 0)

    def from_areas(column, empty):
        return np.where(has_area, areas[column].to_numpy()[pick], empty)

    area_ids = from_areas("area_id", None)
    geom_basis = from_areas("geom_basis", None)
    outside_m2 = np.where(has_area, np.clip(area_m2 - inside_m2, 0, None), area_m2)

    quotas = ledger.quotas.reindex(pd.Index(areas["area_id"], dtype=object))  # per area, then per parcel
    quota_m2 = np.where(has_area, quotas["quota_m2"].to_numpy(dtype=float)[pick], np.nan)
    quota_basis = np.where(has_area, quotas["basis"].fillna(pv.NONE).to_numpy(dtype=object)[pick], pv.NONE)
    committed = np.where(has_area, quotas["committed_m2"].fillna(0).to_numpy(dtype=float)[pick], 0.0)

    flags = np.zeros(n, dtype=np.int64)

    def flag(code, mask):
        flags[np.asarray(mask, dtype=bool)] |= FLAGS[code][0]

    schematic = geom_basis == pv.SCHEMATIC
    flag("no_area", ~has_area & ~placement.straddles)
    flag("straddles", placement.straddles)
    if declared:
        flag("not_declared", area_ids != declared)
    beyond = has_area & (outside_m2 > TOLERANCE_M2)
    flag("outside", beyond & ~schematic)
    flag("outside_schematic", beyond & schematic)
    flag("schematic", has_area & schematic)
    flag("overlap", overlap_m2 > 0)
    flag("overlap_upload", np.isin(np.arange(n), list(upload_partners)))
    flag("no_quota", has_area & np.isnan(quota_m2))
    flag("derived_quota", has_area & (quota_basis == pv.DERIVED))

    # Running quota in file order, per area; parcels that cannot take quota are not charged.
    charge = np.where((flags & SPATIAL_FAIL_BITS) == 0, area_m2, 0.0)
    group = pd.Series(np.where(has_area, pick, -1))
    charged_before = (pd.Series(charge).groupby(group).cumsum().to_numpy() - charge
                      if in_file_order else 0.0)
    before = quota_m2 - committed - charged_before
    after = before - area_m2
    flag("quota_short", has_area & ~np.isnan(quota_m2) & (after < -1e-6))

    verdict = np.where(flags & FAIL_BITS, FAIL, np.where(flags & REVIEW_BITS, REVIEW, PASS))
    return {
        "no": np.arange(1, n + 1), "label": labels if labels is not None else [None] * n,
        "area_id": area_ids, "area_kind": from_areas("kind", None),
        "area_name_zh": from_areas("name_zh", None), "area_name_en": from_areas("name_en", None),
        "geom_basis": geom_basis,
        "area_m2": area_m2, "gk_area_m2": placement.gk_m2, "gk_epsg": placement.gk_epsg,
        "outside_m2": outside_m2, "overlap_m2": overlap_m2,
        "overlap_ids": _lists(n, overlap_ids),
        "upload_overlaps": _lists(n, upload_partners),
        "quota_m2": quota_m2, "quota_basis": np.where(has_area, quota_basis, pv.NONE),
        "before_m2": before, "after_m2": after,
        "flags": flags, "verdict": verdict,
    }


#: text columns of a result that are None for a parcel in no area
NULLABLE_TEXT = ("area_id", "area_kind", "area_name_zh", "area_name_en", "geom_basis")


def with_none(rows: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Missing texts as None, not NaN (pandas stores text columns as strings with NaN)."""
    for col in NULLABLE_TEXT:
        rows[col] = pd.Series(rows[col].to_numpy(dtype=object), index=rows.index, dtype=object)
        rows.loc[rows[col].isna(), col] = None
    return rows


def _ha(m2: float) -> str:
    return f"{m2 / 10_000:,.4f}"


def reasons(row) -> list[tuple[str, str, str]]:
    """The reasons behind one row's verdict: (severity, 中文, English), failures first;
    severity is ``fail``, ``review`` or ``info``."""
    flags = int(row["flags"])
    name_zh, name_en = row.get("area_name_zh") or "", row.get("area_name_en") or ""
    texts = {
        "no_area": ("不在任何示范园区或高新区范围内。", "Not inside any demonstration park or zone."),
        "not_declared": (f"不在申报的园区内（实际落在：{name_zh or '无'}）。",
                         f"Not inside the park applied for (it lies in: {name_en or 'none'})."),
        "outside": (f"有 {_ha(row['outside_m2'])} 公顷位于{name_zh}范围外。",
                    f"{_ha(row['outside_m2'])} ha lie outside {name_en}."),
        "overlap": (f"与已预留/批准的地块重叠 {_ha(row['overlap_m2'])} 公顷（台账编号 "
                    f"{', '.join(map(str, row['overlap_ids'] or []))}）。",
                    f"Overlaps parcels already reserved/approved by {_ha(row['overlap_m2'])} ha "
                    f"(ledger ids {', '.join(map(str, row['overlap_ids'] or []))})."),
        "overlap_upload": (f"与本次上传的第 {', '.join(map(str, row['upload_overlaps'] or []))} 号地块重叠。",
                           f"Overlaps parcel(s) {', '.join(map(str, row['upload_overlaps'] or []))} "
                           "of this upload."),
        "quota_short": (f"剩余指标不足：核减后为 {_ha(row['after_m2'])} 公顷。",
                        f"Not enough quota left: {_ha(row['after_m2'])} ha after this parcel."),
        "outside_schematic": (f"有 {_ha(row['outside_m2'])} 公顷位于{name_zh}示意范围外；示意范围"
                              "不是红线，需以正式红线核实。",
                              f"{_ha(row['outside_m2'])} ha lie outside the schematic footprint of "
                              f"{name_en}; it is not a red line, so check against the official one."),
        "schematic": (f"{name_zh}的范围为示意圆，不是正式红线；导入正式红线前，地块是否位于其内"
                      "需人工核实。",
                      f"The footprint of {name_en} is a schematic circle, not a red line: until "
                      "the official boundary is imported, whether the parcel lies inside must be "
                      "checked by hand."),
        "no_quota": (f"{name_zh}尚无用地指标，需人工复核。",
                     f"{name_en} has no land-use quota entered: manual review needed."),
        "derived_quota": ("指标为由规划总量推算的数值，不是正式下达的指标。",
                          "The quota is derived from the plan's totals, not an official figure."),
        "straddles": ("跨越两个园区（或两个高新区），一个地块只能计入一个园区的指标，须按边界拆分。",
                      "Straddles two parks (or two zones): a parcel can be charged to one quota "
                      "only, so it must be split along the boundary."),
    }
    order = {FAIL: 0, REVIEW: 1, INFO: 2}
    found = [(sev, *texts[code]) for code, (bit, sev) in FLAGS.items() if flags & bit]
    return sorted(found, key=lambda r: order[r[0]])


#: the area measures of a row, each reported in m², 公顷 and 亩
MEASURES = ("area_m2", "gk_area_m2", "outside_m2", "overlap_m2", "quota_m2", "before_m2", "after_m2")


def parcel_summary(row) -> dict:
    """One row as plain data for JSON, CSV and pages: every measure in m², ha and 亩 at survey
    precision, the verdict with its labels and the reasons (geometry left out)."""
    out = {"no": int(row["no"]), "label": row["label"], "area_id": row["area_id"],
           "area_kind": row["area_kind"], "area_name_zh": row["area_name_zh"],
           "area_name_en": row["area_name_en"], "geom_basis": row["geom_basis"],
           "gk_epsg": int(row["gk_epsg"]), "quota_basis": row["quota_basis"],
           "overlap_ids": list(row["overlap_ids"] or []),
           "upload_overlaps": list(row["upload_overlaps"] or []),
           "verdict": row["verdict"], "verdict_zh": VERDICT_LABELS[row["verdict"]][0],
           "verdict_en": VERDICT_LABELS[row["verdict"]][1]}
    for key in MEASURES:
        m2 = row[key]
        rounded = None if m2 is None or pd.isna(m2) else survey_areas(float(m2))
        stem = key[:-3]
        for unit, name in (("m2", key), ("ha", f"{stem}_ha"), ("mu", f"{stem}_mu")):
            out[name] = None if rounded is None else rounded[unit]
    out["reasons"] = [{"severity": sev, "zh": zh, "en": en} for sev, zh, en in reasons(row)]
    return out
