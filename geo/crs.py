"""Every CRS question answered in one place.

Conventions (DESIGN.md, "Geography conventions"):

* Reference CRS is CGCS2000 (EPSG:4490). **CGCS2000 and WGS84 differ by a few centimetres,
  far below anything this product draws or measures, so geographic coordinates in either are
  treated as the same for display** (Leaflet is fed them as EPSG:4326). This is the only place
  that equivalence is stated; code that needs it calls :func:`is_geographic_cgcs2000_like`.
* Planar survey figures use CGCS2000 3° Gauss–Krüger zones. Henan spans longitude 110.3–116.7°E,
  so three zones apply, with central meridians 111°, 114° and 117°E.
* GCJ-02 / BD-09 are never treated as CGCS2000; see :mod:`geo.gcj02`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.errors import CRSError

CGCS2000 = 4490
WGS84 = 4326
WEB_MERCATOR = 3857

#: central meridian (°E) -> (EPSG without zone prefix, EPSG with zone prefix, zone number)
GK_ZONES = {
    111: (4546, 4525, 37),
    114: (4547, 4526, 38),
    117: (4548, 4527, 39),
}

#: Henan's extent in degrees (generous by ~0.3° for parcels on the border).
HENAN_BOUNDS = (110.0, 31.2, 117.0, 36.6)


@lru_cache(maxsize=64)
def get_crs(value) -> CRS:
    """Return a :class:`pyproj.CRS` for an EPSG int, "EPSG:n", a URI/CURIE, WKT or PROJ string.

    Raises :class:`CRSError` with a bilingual message listing the accepted forms.
    """
    if isinstance(value, CRS):
        return value
    text = str(value).strip()
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/",
                   "[EPSG:", "urn:ogc:def:crs:EPSG::"):
        if text.startswith(prefix):
            text = "EPSG:" + text[len(prefix):].rstrip("]")
    if text in ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "OGC:CRS84"):
        text = "OGC:CRS84"
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except Exception as exc:  # pyproj raises CRSError of its own with English text only
        raise CRSError(
            f"无法识别坐标系“{value}”。请填写 EPSG 代码（如 4490、4547），或上传带 .prj 的文件。",
            f"Unknown coordinate reference system '{value}'. Give an EPSG code "
            "(e.g. 4490, 4547) or upload the file with its .prj.",
        ) from exc


def epsg_code(crs) -> int | None:
    """The EPSG code of a CRS, or None when it has none."""
    return get_crs(crs).to_epsg() if crs is not None else None


#: what PROJ reports as the definition of a transformation it picks per coordinate
_CHOSEN_PER_POINT = "unavailable until proj_trans is called"


@lru_cache(maxsize=64)
def transformer(src, dst) -> Transformer:
    """A transformer with x=longitude/easting order, built once per process and safe to share.

    pyproj (≥3.1) gives each thread its own PROJ object, re-created on first use in that thread.
    Re-created from the CRSs that means a new search of the EPSG database, 60–250 ms per pair on
    every new server thread; re-created from the PROJ pipeline chosen here it takes ~0.1 ms.
    Pairs whose operation PROJ picks per coordinate keep the CRS form.

    The pipeline form transforms coordinates (``transform``), but carries no CRS metadata, so
    its ``transform_bounds`` is not usable: :func:`geo.crs_ogc.bbox_to_xy` densifies instead.
    """
    chosen = Transformer.from_crs(get_crs(src), get_crs(dst), always_xy=True)
    if not chosen.definition or chosen.definition == _CHOSEN_PER_POINT:
        return chosen
    return Transformer.from_pipeline(chosen.definition)


def is_geographic_cgcs2000_like(crs) -> bool:
    """True for CGCS2000, WGS84 and CRS84 — coordinates this product treats as the same."""
    code = epsg_code(crs)
    return code in (CGCS2000, WGS84) or get_crs(crs).to_string() == "OGC:CRS84"


def gk_central_meridian(lon: float) -> int:
    """The 3° zone central meridian (111, 114 or 117) for a longitude in or near Henan."""
    cm = int(round(lon / 3.0) * 3)
    if cm not in GK_ZONES:
        raise CRSError(
            f"经度 {lon:.3f}° 不在河南省的 3° 带（中央经线 111°、114°、117°）范围内。",
            f"Longitude {lon:.3f}° lies outside Henan's 3° Gauss–Krüger zones (CM 111/114/117°E).",
            code="outside_henan",
        )
    return cm


def gk_epsg(lon: float, *, zone_prefix: bool = False) -> int:
    """EPSG of the CGCS2000 3° GK zone containing ``lon`` (4546-4548, or 4525-4527 prefixed)."""
    plain, prefixed, _ = GK_ZONES[gk_central_meridian(lon)]
    return prefixed if zone_prefix else plain


def gk_zone_of_epsg(code: int) -> tuple[int, bool] | None:
    """(central meridian, has zone prefix) for one of Henan's GK EPSG codes, else None."""
    for cm, (plain, prefixed, _) in GK_ZONES.items():
        if code == plain:
            return cm, False
        if code == prefixed:
            return cm, True
    return None


def crs_label(crs) -> str:
    """A short human label such as 'EPSG:4547 CGCS2000 / 3-degree Gauss-Kruger CM 114E'."""
    c = get_crs(crs)
    code = c.to_epsg()
    return f"EPSG:{code} {c.name}" if code else c.name


def transform_geoms(geoms, src, dst):
    """Transform shapely geometries (one or an array) from ``src`` to ``dst``, vectorised."""
    t = transformer(src, dst)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


# --- Recognising the CRS of an uploaded file -------------------------------------------------

#: 6° zones with a zone prefix (19, 20) that cover Henan -> EPSG
GK6_PREFIXED = {19: 4497, 20: 4498}
#: plausible northings (m) for Henan in any GK zone (31.2–36.6°N)
HENAN_NORTHINGS = (3_400_000.0, 4_100_000.0)
#: how far (°) a parcel may lie outside its zone's 1.5° half-width (surveys run a little over)
ZONE_OVERLAP_DEG = 0.2
_CGCS2000_INV_FLATTENING = 298.257222101


def _tm_parameters(crs: CRS) -> tuple[float, float] | None:
    """(central meridian, false easting) of a Transverse Mercator CRS on the CGCS2000/GRS80
    ellipsoid, else None."""
    if not crs.is_projected or crs.coordinate_operation is None:
        return None
    if "transverse mercator" not in crs.coordinate_operation.method_name.lower():
        return None
    ell = crs.ellipsoid
    if ell is None or abs(ell.semi_major_metre - 6378137.0) > 0.5 \
            or abs(ell.inverse_flattening - _CGCS2000_INV_FLATTENING) > 1e-3:
        return None
    params = {p.name.lower(): p.value for p in crs.coordinate_operation.params}
    cm = params.get("longitude of natural origin", params.get("central meridian"))
    fe = params.get("false easting")
    scale = params.get("scale factor at natural origin", 1.0)
    if cm is None or fe is None or abs(scale - 1.0) > 1e-9:
        return None
    return float(cm), float(fe)


def identify_epsg(crs) -> int | None:
    """The EPSG code of a file's CRS, also for a Gauss–Krüger ``.prj`` that names no code.

    ArcGIS and Chinese GIS packages often write a GK ``.prj`` as bare WKT ("CGCS2000_3_Degree_GK_
    Zone_38", "Gauss_Kruger" with CM 114) that pyproj cannot match; its central meridian and
    false easting identify Henan's zones (3° with or without prefix, 6° with prefix).
    """
    c = get_crs(crs)
    code = c.to_epsg(min_confidence=70)
    if code:
        return code
    tm = _tm_parameters(c)
    if tm is None:
        return None
    cm, fe = tm
    for zone_cm, (plain, prefixed, zone) in GK_ZONES.items():
        if abs(cm - zone_cm) < 1e-6:
            if abs(fe - 500_000) < 1e-3:
                return plain
            if abs(fe - (zone * 1_000_000 + 500_000)) < 1e-3:
                return prefixed
    for zone, code in GK6_PREFIXED.items():
        if abs(cm - (zone * 6 - 3)) < 1e-6 and abs(fe - (zone * 1_000_000 + 500_000)) < 1e-3:
            return code
    return None


def looks_geographic(bounds) -> bool:
    """True when (minx, miny, maxx, maxy) can only be longitude/latitude degrees."""
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def bounds_in_region(bounds, region=None) -> bool:
    """Whether lon/lat ``bounds`` lie in ``region`` (a shapely geometry in CGCS2000 degrees) or,
    without one, inside :data:`HENAN_BOUNDS`."""
    box = shapely.box(*bounds)
    if region is None:
        return shapely.box(*HENAN_BOUNDS).contains(box)
    return bool(region.intersects(box)) and bool(region.buffer(0.05).contains(box))


def _lonlat_bounds(bounds, epsg: int) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bounds
    xs, ys = transformer(epsg, CGCS2000).transform([minx, minx, maxx, maxx], [miny, maxy, miny, maxy])
    return min(xs), min(ys), max(xs), max(ys)


def infer_crs(bounds, region=None) -> list[int]:
    """Candidate EPSG codes for coordinates that came without a CRS, from their magnitudes.

    * degrees -> CGCS2000 (4490);
    * 8-digit eastings carry the zone: 37/38/39 -> 4525/4526/4527 (3°), 19/20 -> 4497/4498 (6°);
    * 6-digit eastings with Henan northings -> each plain 3° zone (4546/4547/4548) that puts the
      data inside its own zone and inside ``region`` (default :data:`HENAN_BOUNDS`).

    Returns every plausible code, best first; the caller refuses when there is not exactly one.
    """
    minx, miny, maxx, maxy = bounds
    if looks_geographic(bounds):
        return [CGCS2000]
    if not HENAN_NORTHINGS[0] <= miny <= maxy <= HENAN_NORTHINGS[1]:
        return []
    zone = int(minx // 1_000_000)
    if zone == int(maxx // 1_000_000) and zone >= 10:
        # The prefix names the zone: no guessing, and Henan or not is checked by the caller.
        prefixed = {z: code for _, code, z in GK_ZONES.values()} | GK6_PREFIXED
        return [prefixed[zone]] if zone in prefixed else []
    if not 100_000 <= minx <= maxx <= 900_000:
        return []
    return [plain for cm, (plain, _, _) in GK_ZONES.items() if _within_zone(bounds, plain, cm, region)]


def _within_zone(bounds, epsg: int, cm: float, region) -> bool:
    lonlat = _lonlat_bounds(bounds, epsg)
    half = 1.5 + ZONE_OVERLAP_DEG
    return cm - half <= lonlat[0] and lonlat[2] <= cm + half and bounds_in_region(lonlat, region)


def resolve_crs(file_crs, bounds, *, user=None, region=None) -> tuple[CRS, str, list[tuple[str, str]]]:
    """Decide the CRS of uploaded coordinates: the user's word, else the file's, else inference.

    Returns ``(crs, how, notes)`` with ``how`` one of "user", "file", "inferred".
    Raises :class:`CRSError` ``crs_ambiguous`` (with ``candidates``) or ``crs_unknown``.
    """
    notes: list[tuple[str, str]] = []
    if user not in (None, ""):
        crs = get_crs(user)
        if file_crs is not None and identify_epsg(file_crs) != identify_epsg(crs):
            notes.append((f"按您指定的坐标系 {crs_label(crs)} 读取，未采用文件自带的 {crs_label(file_crs)}。",
                          f"Read as {crs_label(crs)}, as you specified, instead of the file's "
                          f"{crs_label(file_crs)}."))
        return crs, "user", notes
    if file_crs is not None:
        crs = get_crs(file_crs)
        if not (crs.is_geographic and not looks_geographic(bounds)):
            code = identify_epsg(crs)
            if code and crs.to_epsg(min_confidence=70) is None:
                notes.append((f"文件的 .prj 未写明 EPSG 代码，按其中央经线和东偏移识别为 EPSG:{code}。",
                              f"The .prj names no EPSG code; its central meridian and false easting "
                              f"identify EPSG:{code}."))
                crs = get_crs(code)
            return crs, "file", notes
        notes.append(("文件声明为经纬度，但坐标是米制数值，已忽略该声明并按数值推断坐标系。",
                      "The file claims longitude/latitude but holds metre values; the claim was "
                      "ignored and the CRS inferred from the numbers."))
    candidates = infer_crs(bounds, region)
    if len(candidates) == 1:
        crs = get_crs(candidates[0])
        notes.append((f"文件未附坐标系，按坐标数值推断为 {crs_label(crs)}，请核对。",
                      f"The file carries no CRS; inferred {crs_label(crs)} from the coordinate "
                      "values — please check."))
        return crs, "inferred", notes
    if candidates:
        codes = "、".join(f"EPSG:{c}" for c in candidates)
        raise CRSError(
            f"文件未附坐标系，坐标为不带带号的高斯-克吕格投影，可能属于以下任一分带：{codes}。"
            "请选择正确的坐标系后重新上传，或上传带 .prj 的文件。",
            f"The file carries no CRS and its Gauss–Krüger coordinates have no zone prefix; they "
            f"fit several zones: {', '.join(f'EPSG:{c}' for c in candidates)}. Choose the right "
            "one and upload again, or include the .prj.",
            code="crs_ambiguous", candidates=candidates)
    minx, miny, maxx, maxy = bounds
    raise CRSError(
        f"无法识别坐标系：坐标范围 X {minx:.3f}–{maxx:.3f}、Y {miny:.3f}–{maxy:.3f} 既不是河南的经纬度，"
        "也不是河南所在的高斯-克吕格分带。请附上 .prj 或指定 EPSG 代码（如 4490、4526、4547）。",
        f"Unknown CRS: coordinates X {minx:.3f}–{maxx:.3f}, Y {miny:.3f}–{maxy:.3f} are neither "
        "longitude/latitude in Henan nor one of Henan's Gauss–Krüger zones. Include the .prj or "
        "give an EPSG code (e.g. 4490, 4526, 4547).",
        code="crs_unknown")
