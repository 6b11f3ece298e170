"""Build the default layers under `data/shapefiles/` from the shipped sources.

Re-runnable with the same result: `flask --app app build-data` (or on first start when missing).
Long evidence and source texts stay in `data/sources/sites.csv` (DBF text fields stop at 254
bytes) and are joined back on load through each feature's ``src_id``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd

from parks import provenance as pv
from parks.boundaries import build_boundaries
from parks.footprints import NOMINAL_KM2, circle_footprint
from parks.sources import (
    PARK_SLOTS,
    SECOND_BATCH,
    SOURCES_DIR,
    Site,
    plan_target,
    read_plan_targets,
    read_sites,
)

CRS = "EPSG:4490"


def _details() -> dict[int, dict]:
    with open(SOURCES_DIR / "site_details.csv", encoding="utf-8", newline="") as f:
        return {int(r["src_id"]): r for r in csv.DictReader(f)}


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _common(site: Site, fid: str) -> dict:
    return {"id": fid, "name_zh": site.name_zh, "name_en": site.name_en, "city": site.city,
            "county": site.county, "lon": site.lon, "lat": site.lat, "loc_prec": site.precision,
            "src_id": site.src_id}


def _point(site: Site):
    from shapely.geometry import Point
    return Point(site.lon, site.lat) if site.located else None


def build_parks(sites: list[Site], details: dict, targets: list[dict]) -> gpd.GeoDataFrame:
    """The plan's park slots (candidates first, then unidentified ones) and its planned
    second-batch parks.

    Per-park figures are an even split of the plan totals (basis ``derived``) until official
    figures replace them.
    """
    share = {key: (plan_target(key, targets)["value_2012"], plan_target(key, targets)["value_2013"])
             for key in ("parks_built_area", "parks_investment", "parks_revenue")}
    even = {k: (v12 / PARK_SLOTS, v13 / PARK_SLOTS) for k, (v12, v13) in share.items()}
    rows, geoms = [], []
    candidates = [s for s in sites if s.layer == "sei_demo_park_candidate"]
    for slot in range(1, PARK_SLOTS + 1):
        figures = {"a12_km2": even["parks_built_area"][0], "a13_km2": even["parks_built_area"][1],
                   "inv12_yi": even["parks_investment"][0], "inv13_yi": even["parks_investment"][1],
                   "rev12_yi": even["parks_revenue"][0], "rev13_yi": even["parks_revenue"][1],
                   "fig_basis": pv.DERIVED}
        if slot <= len(candidates):
            site = candidates[slot - 1]
            d = details[site.src_id]
            row = _common(site, f"park-{slot:02d}") | {
                "slot": slot, "kind": "candidate", "strength": site.attribute("strength") or "",
                "ind_zh": d["industry_zh"], "ind_en": d["industry_en"],
                "status_zh": d["status_zh"], "status_en": d["status_en"]}
            geom = circle_footprint(site.lon, site.lat, figures["a13_km2"]) if site.located else None
        else:
            row = {"id": f"park-{slot:02d}", "name_zh": f"第{slot}个示范园区（名单未公开）",
                   "name_en": f"Demonstration park slot {slot} (list not public)", "city": "",
                   "county": "", "lon": None, "lat": None, "loc_prec": "unlocated", "src_id": 0,
                   "slot": slot, "kind": "unidentified", "strength": "", "ind_zh": "",
                   "ind_en": "", "status_zh": "未查明", "status_en": "not identified"}
            geom = None
        row |= figures | {"geom_basis": pv.SCHEMATIC if geom is not None else pv.NONE,
                          "geom_rule": "circle_area13" if geom is not None else "none"}
        rows.append(row)
        geoms.append(geom)
    for n in range(1, SECOND_BATCH + 1):
        rows.append({
            "id": f"park-b2-{n}", "name_zh": f"第二批示范园区（计划，第{n}个）",
            "name_en": f"Second-batch park (planned, {n} of ~{SECOND_BATCH})", "city": "", "county": "",
            "lon": None, "lat": None, "loc_prec": "unlocated", "src_id": 0, "slot": 0,
            "kind": "second_batch", "strength": "",
            "ind_zh": "新型功能材料/新型合金材料/高端装备制造",
            "ind_en": "functional materials / alloys / high-end equipment",
            "status_zh": "2013年计划新建", "status_en": "planned for 2013",
            "a12_km2": None, "a13_km2": None, "inv12_yi": None, "inv13_yi": None,
            "rev12_yi": None, "rev13_yi": None, "fig_basis": pv.NONE, "geom_basis": pv.NONE,
            "geom_rule": "none"})
        geoms.append(None)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def build_zones(sites: list[Site], details: dict) -> gpd.GeoDataFrame:
    """National (2012) and provincial high-tech zones, with level and approval."""
    rows, geoms = [], []
    zone_layers = ("national_htz_2012", "provincial_htz_2012_2013", "provincial_htz_pre2013")
    for n, site in enumerate((s for s in sites if s.layer in zone_layers), start=1):
        d = details[site.src_id]
        built, planned = _num(d["built_km2"]), _num(d["planned_km2"])
        if not site.located:
            geom, rule = None, "none"
        elif built:
            geom, rule = circle_footprint(site.lon, site.lat, built), "circle_built"
        else:
            geom, rule = circle_footprint(site.lon, site.lat, NOMINAL_KM2), "circle_nominal"
        rows.append(_common(site, f"zone-{n:02d}") | {
            "level": d["level"], "approved": d["approved"],
            "batch": "2013_target" if site.layer == "provincial_htz_2012_2013" else "existing",
            "built_km2": built, "plan_km2": planned,
            "area_basis": pv.SOURCED if (built or planned) else pv.NONE,
            "status_zh": d["status_zh"], "status_en": d["status_en"],
            "geom_basis": pv.SCHEMATIC if geom is not None else pv.NONE, "geom_rule": rule})
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def _point_layer(sites, details, layer: str, prefix: str, extra) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for n, site in enumerate((s for s in sites if s.layer == layer), start=1):
        d = details[site.src_id]
        invest = _num(d["invest_yi"])
        rows.append(_common(site, f"{prefix}-{n:02d}") | extra(site, d) | {
            "inv_yi": invest, "inv_year": d["invest_year"],
            "inv_basis": pv.SOURCED if invest is not None else pv.NONE,
            "status_zh": d["status_zh"], "status_en": d["status_en"],
            "geom_basis": pv.SOURCED if site.located else pv.NONE,
            "geom_rule": "point" if site.located else "none"})
        geoms.append(_point(site))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def build_foxconn(sites, details) -> gpd.GeoDataFrame:
    return _point_layer(sites, details, "foxconn_site", "fox", lambda s, d: {
        "role_zh": d["role_zh"], "role_en": d["role_en"],
        "prod_zh": d["product_zh"], "prod_en": d["product_en"]})


SECTORS_EN = {"生物": "Biotech", "新材料": "New materials", "新能源": "New energy",
              "新能源汽车": "New-energy vehicles"}


def build_projects(sites, details) -> gpd.GeoDataFrame:
    return _point_layer(sites, details, "major_project", "proj", lambda s, d: {
        "sector_zh": d["sector_zh"], "sector_en": SECTORS_EN.get(d["sector_zh"], ""),
        "ind_zh": d["industry_zh"], "ind_en": d["industry_en"],
        "prod_zh": d["product_zh"], "prod_en": d["product_en"]})


def build_clusters(sites: list[Site]) -> gpd.GeoDataFrame:
    """The plan's named cluster types, linked to a city where evidence places them."""
    by_id = {s.src_id: s for s in sites}
    with open(SOURCES_DIR / "clusters.csv", encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    rows, geoms = [], []
    for r in table:
        at = by_id.get(int(r["at_src_id"])) if r["at_src_id"] else None
        revenue = _num(r["revenue_yi"])
        rows.append({
            "id": r["cluster_id"], "name_zh": r["name_zh"], "name_en": r["name_en"],
            "section": r["section"], "city": r["city"], "county": at.county if at else "",
            "lon": at.lon if at else None, "lat": at.lat if at else None,
            "loc_prec": at.precision if at else "unlocated", "src_id": at.src_id if at else 0,
            "link_zh": r["link_zh"], "link_en": r["link_en"], "rev_yi": revenue,
            "rev_year": r["revenue_year"], "rev_src_id": int(r["revenue_src_id"] or 0),
            "rev_basis": pv.SOURCED if revenue is not None else pv.NONE,
            "rnote_zh": r["revenue_note_zh"], "rnote_en": r["revenue_note_en"],
            "geom_basis": pv.SOURCED if at and at.located else pv.NONE,
            "geom_rule": "point" if at and at.located else "none"})
        geoms.append(_point(at) if at else None)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def build_layers() -> dict[str, gpd.GeoDataFrame]:
    sites, details, targets = read_sites(), _details(), read_plan_targets()
    return {
        "parks": build_parks(sites, details, targets),
        "zones": build_zones(sites, details),
        "foxconn": build_foxconn(sites, details),
        "projects": build_projects(sites, details),
        "clusters": build_clusters(sites),
        **build_boundaries(),
    }


def write_layers(layers: dict[str, gpd.GeoDataFrame], out_dir: Path) -> list[Path]:
    """Write each layer as a Shapefile with .prj and a UTF-8 .cpg; returns the .shp paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, gdf in layers.items():
        path = out_dir / f"{name}.shp"
        gdf = gdf.copy()
        for col in gdf.columns:
            if col != "geometry" and gdf[col].dtype == object:
                gdf[col] = gdf[col].fillna("")
        gdf.to_file(path, driver="ESRI Shapefile", encoding="UTF-8", engine="pyogrio")
        paths.append(path)
    return paths


def build_data(out_dir: Path) -> list[Path]:
    return write_layers(build_layers(), out_dir)



