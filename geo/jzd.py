"""界址点 coordinate text files (建设用地报盘 / 勘测定界 exchange format) as land offices send them.

Layout (tolerant of variants seen in practice)::

    [属性描述]                       <- optional block of key=value lines; 【】 brackets also seen
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=38
    [地块坐标]
    5,6.0000,DK001,一号地块,面,,工业用地,0601,@     <- parcel header, ends with "@"
    J1,1,3822464.476,38485610.862                      <- 点号, 圈号, X (northing), Y (easting)
    ...
    J1,1,3822464.476,38485610.862                      <- ring closed by repeating point 1

Several parcels per file; rings with 圈号 > 1 are holes when inside an earlier ring of the same
parcel, further parts otherwise. X is the northing as in Chinese surveying, but columns are told
apart by magnitude (Henan northings are 7 digits, eastings 6 or 8), so swapped files read too.
Full-width commas, tabs and blank lines are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import shapely

from geo.crs import GK_ZONES, HENAN_NORTHINGS
from geo.errors import CRSError, GeoInputError

SECTION = re.compile(r"^[\[【]\s*(.+?)\s*[\]】]$")
SPLIT = re.compile(r"\s*[,，\t;；]\s*")
#: attribute columns of a parcel header line, in order
PARCEL_FIELDS = ("界址点数", "地块面积", "地块编号", "地块名称", "图形属性", "图幅号", "地块用途",
                 "地类编码")


@dataclass
class Parcel:
    attrs: dict
    rings: list[list[tuple[float, float]]] = field(default_factory=list)
    ring_ids: list[str] = field(default_factory=list)


@dataclass
class JzdFile:
    header: dict
    parcels: list[Parcel]
    swapped: bool = False
    degrees: bool = False


def _bad(zh: str, en: str, line_no: int | None = None) -> GeoInputError:
    where_zh = f"第 {line_no} 行：" if line_no else ""
    where_en = f"Line {line_no}: " if line_no else ""
    return GeoInputError(where_zh + zh, where_en + en, code="bad_jzd")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _point(parts: list[str], line_no: int) -> tuple[str, str, float, float] | None:
    """(点号, 圈号, a, b) of a point line, or None when the line is not one."""
    nums = [_number(p) for p in parts]
    if len(parts) >= 4 and nums[-1] is not None and nums[-2] is not None:
        return parts[0], parts[1] or "1", nums[-2], nums[-1]
    if len(parts) == 3 and nums[1] is not None and nums[2] is not None:
        return parts[0], "1", nums[1], nums[2]
    return None


def parse(text: str) -> JzdFile:
    """Parse the text of a 界址点 file into parcels of raw (X, Y) rings as written.

    Raises ``bad_jzd`` with the line number for lines that are neither header, parcel nor point,
    and ``empty`` when no parcel has a ring.
    """
    header: dict[str, str] = {}
    parcels: list[Parcel] = []
    section = None
    current: Parcel | None = None
    ring_key = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().strip("\ufeff")
        if not line:
            continue
        m = SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        if section == "属性描述" or (section is None and "=" in line and "@" not in line):
            key, _, value = line.partition("=")
            header[key.strip()] = value.strip()
            continue
        parts = SPLIT.split(line.rstrip(",，"))
        if parts[-1] == "@":
            current = Parcel(dict(zip(PARCEL_FIELDS, parts[:-1], strict=False)))
            parcels.append(current)
            ring_key = None
            continue
        point = _point(parts, line_no)
        if point is None:
            raise _bad(f"无法识别“{line[:60]}”，应为“点号,圈号,X坐标,Y坐标”或以“@”结尾的地块行。",
                       f"cannot read '{line[:60]}'; expected 'point,ring,X,Y' or a parcel line "
                       "ending in '@'.", line_no)
        if current is None:  # points without a parcel line: one unnamed parcel
            current = Parcel({})
            parcels.append(current)
        name, ring, a, b = point
        closed = current.rings and ring_key == ring and len(current.rings[-1]) > 2 \
            and current.rings[-1][0] == current.rings[-1][-1]
        if ring_key != ring or closed:
            current.rings.append([])
            current.ring_ids.append(ring)
            ring_key = ring
        current.rings[-1].append((a, b))
    parcels = [p for p in parcels if p.rings]
    if not parcels:
        raise GeoInputError("界址点文件中没有任何地块坐标。请检查文件内容是否完整。",
                            "The 界址点 file holds no parcel coordinates. Check that it is complete.",
                            code="empty")
    jzd = JzdFile(header, parcels)
    _orient(jzd)
    return jzd


def _orient(jzd: JzdFile) -> None:
    """Decide which column is the northing (or latitude) and record it on ``jzd``."""
    firsts = [pt for p in jzd.parcels for ring in p.rings for pt in ring]
    a_vals = [a for a, _ in firsts]
    b_vals = [b for _, b in firsts]
    if max(map(abs, a_vals + b_vals)) <= 180:
        jzd.degrees = True
        jzd.swapped = min(a_vals) > 90  # (lon, lat) instead of (lat, lon)
        return
    lo, hi = HENAN_NORTHINGS

    def northing(vals):
        return all(lo - 200_000 <= v <= hi + 200_000 for v in vals)

    if northing(a_vals) and not northing(b_vals):
        return
    if northing(b_vals) and not northing(a_vals):
        jzd.swapped = True
        return
    raise _bad("无法区分 X（北坐标）与 Y（东坐标）列，请检查坐标数值。",
               "cannot tell the X (northing) column from the Y (easting) column; check the values.")


def to_geometry(parcel: Parcel, *, swapped: bool):
    """A Polygon/MultiPolygon in (easting, northing) or (lon, lat) order from the parcel's rings."""
    rings = []
    for ring in parcel.rings:
        pts = [(a, b) if swapped else (b, a) for a, b in ring]
        if pts[0] != pts[-1]:
            pts.append(pts[0])
        if len(pts) >= 4:
            rings.append(shapely.LinearRing(pts))
    rings.sort(key=lambda r: -shapely.Polygon(r).area)
    outers: list[tuple[shapely.LinearRing, list]] = []
    for ring in rings:
        for outer, holes in outers:
            if shapely.Polygon(outer).contains(shapely.Polygon(ring)):
                holes.append(ring)
                break
        else:
            outers.append((ring, []))
    polys = [shapely.Polygon(o, h) for o, h in outers]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def header_epsg(header: dict, sample_easting: float | None) -> int | None:
    """The EPSG code the ``[属性描述]`` block states, or None when it states no usable CRS.

    Raises :class:`CRSError` ``crs_unknown`` for Xian 1980 / Beijing 1954 (their conversion to
    CGCS2000 needs parameters only the surveyor has) and for a unit other than metres.
    """
    system = header.get("坐标系", "")
    if re.search(r"西安|1980|北京|1954|xian|beijing", system, re.I):
        raise CRSError(
            f"文件坐标系为“{system}”。转换到 2000 国家大地坐标系需要测绘单位提供的转换参数，"
            "系统不做近似转换。请提供 CGCS2000 坐标的文件，或在上传时明确指定 EPSG 代码。",
            f"The file's CRS is '{system}'. Converting it to CGCS2000 needs parameters only the "
            "surveyor has, and the system does not approximate it. Provide CGCS2000 coordinates, "
            "or name the EPSG code explicitly when uploading.",
            code="crs_datum")
    unit = header.get("计量单位", "米")
    if unit and unit not in ("米", "m", "M", "metre", "meter"):
        raise CRSError(f"计量单位为“{unit}”，仅支持“米”。", f"The unit is '{unit}'; only metres are "
                       "supported.", code="crs_unknown")
    zone_text = header.get("带号", "").strip()
    width = header.get("几度分带", "3").strip() or "3"
    if not zone_text.isdigit() or width != "3":
        return None
    zone = int(zone_text)
    cm = {z: c for c, (_, _, z) in GK_ZONES.items()}.get(zone)
    if cm is None:
        raise CRSError(f"带号 {zone} 不是河南所在的 3° 带（37、38、39）。",
                       f"Zone {zone} is not one of Henan's 3° zones (37, 38, 39).",
                       code="crs_unknown")
    plain, prefixed, _ = GK_ZONES[cm]
    if sample_easting is not None and sample_easting >= 1_000_000:
        found = int(sample_easting // 1_000_000)
        if found != zone:
            raise CRSError(
                f"文件头写明带号 {zone}，但坐标带号为 {found}，二者矛盾。请核对后重新上传。",
                f"The header states zone {zone} but the coordinates carry zone {found}. Check the "
                "file and upload again.",
                code="crs_ambiguous", candidates=[prefixed, plain])
        return prefixed
    return plain


def states_cgcs2000(header: dict) -> bool:
    return bool(re.search(r"2000|CGCS", header.get("坐标系", ""), re.I))

