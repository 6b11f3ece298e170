"""Builders for the vector files staff upload, made in code (no opaque binaries in the repo).

Import from any test (``tests/`` is on ``sys.path`` through its conftest)::

    from fixtures_files import make_zipped_shapefile, parcels_gdf

    def test_upload(client, tmp_path):
        path = make_zipped_shapefile(tmp_path, parcels_gdf(), crs=4526, encoding="GBK", cpg=False)

Every builder writes under the folder it is given and returns the path of the file to upload.
Geometries are laid out in metres in a CGCS2000 3° Gauss–Krüger zone (so their planar area is
known exactly) and handed over in CGCS2000 degrees (EPSG:4490), as the reader returns them.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: a spot in the Zhengzhou airport economy zone, inside GK zone 38 (CM 114°E)
ZHENGZHOU = (113.84, 34.53)
#: a spot near Luoyang, in GK zone 38 as well
LUOYANG = (112.45, 34.62)

GBK_NAMES = ["航空港区一号地块", "航空港区二号地块", "高新区三号地块", "经开区四号地块"]


def _gk(lon: float) -> int:
    from geo.crs import gk_epsg

    return gk_epsg(lon)


def _to_4490(geoms, epsg: int):
    from geo.crs import CGCS2000, transform_geoms

    return transform_geoms(np.asarray(geoms, dtype=object), epsg, CGCS2000)


def _gk_origin(lon: float, lat: float) -> tuple[int, float, float]:
    from geo.crs import CGCS2000, transformer

    epsg = _gk(lon)
    x, y = transformer(CGCS2000, epsg).transform(lon, lat)
    return epsg, x, y


def rect_m(lon: float, lat: float, width_m: float = 300.0, height_m: float = 200.0,
           *, dx_m: float = 0.0, dy_m: float = 0.0):
    """A ``width_m`` × ``height_m`` rectangle whose south-west corner is ``dx_m``/``dy_m`` metres
    from lon/lat, drawn in the local GK zone; returned in EPSG:4490."""
    epsg, x, y = _gk_origin(lon, lat)
    box = shapely.box(x + dx_m, y + dy_m, x + dx_m + width_m, y + dy_m + height_m)
    return _to_4490([box], epsg)[0]


def parcels_gdf(n: int = 2, *, lon: float = ZHENGZHOU[0], lat: float = ZHENGZHOU[1],
                names=None, multipart: bool = False, spacing_m: float = 500.0) -> gpd.GeoDataFrame:
    """``n`` rectangular parcels (300 m × 200 m = 6 ha each) in EPSG:4490, in a row eastwards.

    Columns: ``name`` (Chinese, from :data:`GBK_NAMES` unless ``names`` is given), ``code``
    (``DK001``…) and ``area_ha`` (6.0). With ``multipart=True`` the first parcel is a
    MultiPolygon of two 6 ha rectangles 100 m apart (12 ha).
    """
    names = list(names or GBK_NAMES)[:n]
    geoms = [rect_m(lon, lat, dx_m=i * spacing_m) for i in range(n)]
    areas = [6.0] * n
    if multipart:
        second = rect_m(lon, lat, dy_m=300.0)
        geoms[0] = shapely.MultiPolygon([geoms[0], second])
        areas[0] = 12.0
    return gpd.GeoDataFrame({"name": names, "code": [f"DK{i + 1:03d}" for i in range(n)],
                             "area_ha": areas}, geometry=geoms, crs="EPSG:4490")


def twisted_parcel(*, lobe_m: float, lon: float = ZHENGZHOU[0], lat: float = ZHENGZHOU[1]):
    """A 300 m × 200 m parcel whose north-west corner has a self-crossing (bow-tie) lobe.

    The lobe is a right triangle of legs ``lobe_m`` wound the other way, so the drawn (shoelace)
    area is 60 000 − lobe² / 2 m² while the repaired area is 60 000 + lobe² / 2 m²:
    ``lobe_m=2`` changes the area by ~0.007 % (repaired with a note), ``lobe_m=30`` by ~1.5 %
    (refused). Returned in EPSG:4490.
    """
    epsg, x, y = _gk_origin(lon, lat)
    ring = [(0, 0), (300, 0), (300, 200), (-lobe_m, 200), (0, 200 + lobe_m), (0, 0)]
    poly = shapely.Polygon([(x + a, y + b) for a, b in ring])
    return _to_4490([poly], epsg)[0]


def _write_shapefile(folder: Path, gdf: gpd.GeoDataFrame, name: str, crs, encoding: str,
                     prj: bool, cpg: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    out = gdf.to_crs(crs) if crs is not None else gdf
    shp = folder / f"{name}.shp"
    out.to_file(shp, driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    if not prj:
        shp.with_suffix(".prj").unlink(missing_ok=True)
    if not cpg:
        shp.with_suffix(".cpg").unlink(missing_ok=True)
        # Real deliveries without .cpg also carry no DBF language-driver id (byte 29 = 0).
        dbf = shp.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = 0
        dbf.write_bytes(bytes(data))
    return shp


def make_shapefile(folder: Path, gdf: gpd.GeoDataFrame, *, name: str = "parcels", crs=None,
                   encoding: str = "UTF-8", prj: bool = True, cpg: bool = True) -> Path:
    """Write ``gdf`` as a Shapefile set in ``folder``; returns the ``.shp`` path.

    ``crs`` reprojects first (e.g. 4526 for GK zone 38 with the zone prefix, 4547 without);
    ``encoding`` is the DBF text encoding ("UTF-8", "GBK"…); ``prj=False`` / ``cpg=False`` delete
    those parts (and zero the DBF language-driver byte, as files without .cpg usually have).
    """
    return _write_shapefile(Path(folder), gdf, name, crs, encoding, prj, cpg)


def damage_record(shp: Path, no: int, part: str = "bbox") -> None:
    """Damage record ``no`` (1-based) of a written ``.shp`` in place: its bounding box ("bbox":
    NaN), its shape type ("type": an unknown one) or its part count ("parts": absurd)."""
    import struct

    index = shp.with_suffix(".shx").read_bytes()
    (offset,) = struct.unpack_from(">i", index, 100 + 8 * (no - 1))
    start = offset * 2 + 8  # after the record header: shape type, box, parts, points
    data = bytearray(shp.read_bytes())
    if part == "bbox":
        struct.pack_into("<4d", data, start + 4, *[float("nan")] * 4)
    elif part == "type":
        struct.pack_into("<i", data, start, 77)
    else:
        struct.pack_into("<i", data, start + 36, 0x7FFFFFFF)
    shp.write_bytes(bytes(data))


def zip_folder(folder: Path, zpath: Path) -> Path:
    """Zip every file of ``folder`` (flat) into ``zpath``; returns it."""
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(Path(folder).iterdir()):
            zf.write(part, part.name)
    return zpath


def make_zipped_shapefile(tmp_path: Path, gdf: gpd.GeoDataFrame, *, crs=None,
                          encoding: str = "UTF-8", prj: bool = True, cpg: bool = True,
                          name: str = "parcels", subfolder: str = "", drop=(),
                          extra: dict | None = None, zip_name: str | None = None) -> Path:
    """A zipped Shapefile as staff upload it; returns the ``.zip`` path.

    ``subfolder`` puts the parts in a folder inside the zip ("成果/地块"); ``drop`` leaves out
    parts by suffix (``(".dbf",)`` for a broken delivery); ``extra`` maps more shapefile names to
    GeoDataFrames to put in the same zip (several shapefiles in one upload). Other keywords as
    :func:`make_shapefile`.
    """
    tmp_path = Path(tmp_path)
    work = tmp_path / f"_{zip_name or name}_parts"
    shps = [_write_shapefile(work, gdf, name, crs, encoding, prj, cpg)]
    for other, other_gdf in (extra or {}).items():
        shps.append(_write_shapefile(work, other_gdf, other, crs, encoding, prj, cpg))
    zpath = tmp_path / (zip_name or f"{name}.zip")
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for shp in shps:
            for part in sorted(work.glob(f"{shp.stem}.*")):
                if part.suffix.lower() in drop:
                    continue
                arcname = f"{subfolder.strip('/')}/{part.name}" if subfolder else part.name
                zf.write(part, arcname)
    shutil.rmtree(work)
    return zpath


def make_geojson(tmp_path: Path, gdf: gpd.GeoDataFrame | None, *, name: str = "parcels.geojson"
                 ) -> Path:
    """A GeoJSON file (EPSG:4326, UTF-8, no feature ids); ``gdf=None`` writes an empty collection."""
    path = Path(tmp_path) / name
    if gdf is None or gdf.empty:
        path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    else:
        path.write_text(gdf.to_crs(4326).to_json(ensure_ascii=False, drop_id=True), encoding="utf-8")
    return path


def make_gpkg(tmp_path: Path, layers, *, name: str = "parcels.gpkg") -> Path:
    """A GeoPackage with one layer per item of ``layers`` (a dict name -> GeoDataFrame, or one
    GeoDataFrame written as layer ``parcels``)."""
    path = Path(tmp_path) / name
    if isinstance(layers, gpd.GeoDataFrame):
        layers = {"parcels": layers}
    for layer, gdf in layers.items():
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


#: a query that keeps SQLite busy a second or two each time it runs (per row of the view below)
SLOW_QUERY = ("(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000000) "
              "SELECT count(*) FROM c)")


def make_hostile_gpkg(tmp_path: Path, gdf: gpd.GeoDataFrame, *, kind: str = "view",
                      name: str = "hostile.gpkg") -> Path:
    """A GeoPackage whose only layer is a view running a recursive query per row (``kind="view"``),
    or whose table carries a custom trigger (``kind="trigger"``)."""
    import sqlite3

    path = make_gpkg(tmp_path, gdf.rename_geometry("geom"), name=name)
    con = sqlite3.connect(path)
    if kind == "view":
        con.execute(f"CREATE VIEW slow AS SELECT * FROM parcels WHERE {SLOW_QUERY} > 0")
        for table in ("gpkg_contents", "gpkg_geometry_columns"):
            con.execute(f"UPDATE {table} SET table_name = 'slow' WHERE table_name = 'parcels'")
    else:
        con.execute("CREATE TRIGGER stamp AFTER UPDATE ON parcels BEGIN "
                    "UPDATE parcels SET name = 'x'; END")
    con.commit()
    con.close()
    return path


def make_kml(tmp_path: Path, gdf: gpd.GeoDataFrame, *, name: str = "parcels.kml",
             name_col: str = "name") -> Path:
    """A KML file (WGS84) with each feature's ``<name>`` taken from ``name_col``."""
    path = Path(tmp_path) / name
    out = gdf.to_crs(4326).rename(columns={name_col: "Name"})
    out.to_file(path, driver="KML", engine="pyogrio")
    return path


def make_csv_points(tmp_path: Path, rows: list[dict], *, name: str = "points.csv",
                    encoding: str = "utf-8") -> Path:
    """A CSV of point rows (e.g. ``{"名称": "…", "经度": 113.6, "纬度": 34.7}``)."""
    path = Path(tmp_path) / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def make_jzd_txt(tmp_path: Path, gdf: gpd.GeoDataFrame, *, epsg: int = 4526,
                 encoding: str = "gbk", header: bool = True, name: str = "界址点.txt",
                 name_col: str = "name", code_col: str = "code", use: str = "工业用地",
                 blank_lines: bool = True) -> Path:
    """A 界址点 coordinate text file as land offices exchange it (建设用地报盘格式).

    ``[属性描述]`` header (unless ``header=False``) then ``[地块坐标]``; per parcel a line
    ``界址点数,地块面积(公顷),地块编号,地块名称,面,图幅号,地块用途,地类编码,@`` and point lines
    ``J<n>,<ring>,<X northing>,<Y easting>`` with each ring closed by repeating its first point.
    ``epsg`` 4525–4527 writes eastings with the zone prefix (38xxxxxx.xxx); 4546–4548 without.
    MultiPolygon parts become further rings (圈号 2, 3…).
    """
    from geo.area import gk_area_m2
    from geo.crs import gk_zone_of_epsg

    cm, _ = gk_zone_of_epsg(epsg)
    out = gdf.to_crs(epsg)
    areas_m2, _ = gk_area_m2(gdf.geometry.values)
    lines = []
    if header:
        lines += ["[属性描述]", "格式版本号=1.01", "数据产生单位=某县自然资源局",
                  "数据产生日期=2024-5-1", "坐标系=2000国家大地坐标系", "几度分带=3",
                  "投影类型=高斯克吕格", "计量单位=米", f"带号={cm // 3}", "精度=0.01",
                  "转换参数=,,,,,,"]
    lines.append("[地块坐标]")
    for row, geom, area in zip(out.itertuples(index=False), out.geometry, areas_m2, strict=True):
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        rings = [r for p in polys for r in (p.exterior, *p.interiors)]
        points = []
        for ring_no, ring in enumerate(rings, start=1):
            coords = list(ring.coords)
            for k, (x, y) in enumerate(coords):
                num = (k % (len(coords) - 1)) + 1
                points.append(f"J{num},{ring_no},{y:.3f},{x:.3f}")
        lines.append(f"{len(points)},{area / 10_000:.4f},{getattr(row, code_col)},"
                     f"{getattr(row, name_col)},面,,{use},0601,@")
        lines += points
        if blank_lines:
            lines.append("")
    path = Path(tmp_path) / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def make_zip_slip(tmp_path: Path, *, name: str = "slip.zip") -> Path:
    """A zip whose members climb out of the extraction folder (``../evil.shp``)."""
    path = Path(tmp_path) / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../evil.shp", b"\x00" * 100)
        zf.writestr("../evil.dbf", b"\x00" * 100)
        zf.writestr("../evil.shx", b"\x00" * 100)
    return path


def make_zip_bomb(tmp_path: Path, *, expanded_mb: int = 64, name: str = "bomb.zip",
                  declare_small: bool = False) -> Path:
    """A zip with a ``.dbf`` of ``expanded_mb`` MB of zeros (~1000:1, a few tens of KB on disk).

    ``declare_small=True`` also rewrites the member's declared uncompressed size to 1 KB in both
    the local header and the central directory, as a hostile file would, so only a reader that
    caps the bytes it actually inflates notices.
    """
    path = Path(tmp_path) / name
    chunk = b"\x00" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.shp", b"\x00" * 100)
        zf.writestr("bomb.shx", b"\x00" * 100)
        with zf.open("bomb.dbf", "w") as member:
            for _ in range(expanded_mb):
                member.write(chunk)
    if declare_small:
        _declare_size(path, "bomb.dbf", 1024)
    return path


def _declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite ``member``'s declared uncompressed size in the local header and the central
    directory of a (non-zip64) zip, leaving its data untouched."""
    import struct

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    encoded = member.encode()
    cd = data.find(b"PK\x01\x02")
    while cd != -1:
        (name_len,) = struct.unpack_from("<H", data, cd + 28)
        if data[cd + 46: cd + 46 + name_len] == encoded:
            struct.pack_into("<I", data, cd + 24, size)
            break
        cd = data.find(b"PK\x01\x02", cd + 4)
    path.write_bytes(bytes(data))
