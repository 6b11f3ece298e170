"""Reading an OGC API request: its query parameters, checked, and the OGC exception.

Every check raises :class:`OGCError`, which the web layer answers as a 400 (or 404) with an
OGC exception body ``{"code", "description"}`` and our bilingual message fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone

from core.errors import UserError
from geo.crs import CGCS2000
from geo.crs_ogc import CRS84, EPSG_URI, bbox_to_xy, crs_uri
from layers.ogc.table import FeatureTable

STORAGE_CRS = EPSG_URI.format(code=CGCS2000)
#: every collection can be served in these; CRS84 (lon/lat) is the default
CRS_LIST = [CRS84, STORAGE_CRS, EPSG_URI.format(code=4326), EPSG_URI.format(code=3857)]
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
#: the largest integer a query parameter may carry (a signed 64-bit integer, as in the database)
MAX_INT = 2**63 - 1
#: query parameters every items request may carry, besides queryable properties
ITEMS_PARAMS = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "sortby",
                "properties", "skipGeometry")
ITEM_PARAMS = ("f", "lang", "crs", "properties", "skipGeometry")
#: an RFC 3339 date or date-time (with its offset), as OGC API ``datetime`` takes them
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?")


class OGCError(UserError):
    """An error answered as an OGC API exception: ``{"code", "description"}`` plus our
    bilingual fields. ``ogc_code`` is e.g. InvalidParameterValue or NotFound."""

    def __init__(self, zh: str, en: str, *, ogc_code: str = "InvalidParameterValue",
                 status: int = 400, code: str = "bad_parameter"):
        super().__init__(zh, en, code=code)
        self.ogc_code = ogc_code
        self.status = status

    def to_dict(self) -> dict:
        return {"code": self.ogc_code, "description": self.en, **super().to_dict()}


def not_found(zh: str, en: str) -> OGCError:
    return OGCError(zh, en, ogc_code="NotFound", status=404, code="not_found")


def parse_f(value: str | None, allowed=("json", "html")) -> str | None:
    """The ``f`` parameter (json/html; None when absent)."""
    if value is None:
        return None
    f = value.strip().lower()
    if f == "geojson":
        f = "json"
    if f not in allowed:
        raise OGCError(f"f 须为 {'、'.join(allowed)} 之一。", f"f must be one of {', '.join(allowed)}.")
    return f


def int_param(args: Mapping, name: str, default: int, minimum: int, maximum: int = MAX_INT) -> int:
    """An integer argument from ``minimum`` to ``maximum`` (``default`` when absent)."""
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise OGCError(f"{name} 须为 {minimum} 到 {maximum} 之间的整数（收到“{raw}”）。",
                       f"{name} must be an integer from {minimum} to {maximum} (got '{raw}').")
    return value


def parse_crs(args: Mapping, name: str = "crs") -> str:
    """The URI of the ``crs`` / ``bbox-crs`` argument (default CRS84), one of :data:`CRS_LIST`."""
    raw = args.get(name)
    if raw is None:
        return CRS84
    try:
        uri = crs_uri(raw)
    except UserError:
        uri = None
    if uri not in CRS_LIST:
        raise OGCError(f"{name} 不支持“{raw}”。可选：{'、'.join(CRS_LIST)}。",
                       f"{name} '{raw}' is not supported. Accepted: {', '.join(CRS_LIST)}.",
                       code="bad_crs")
    return uri


def parse_bbox(raw: str | None, bbox_crs: str):
    """``bbox`` (4 numbers, or 6 with heights, in ``bbox_crs``'s axis order) as a CGCS2000
    (minx, miny, maxx, maxy) x-first, or None."""
    if raw is None:
        return None
    try:
        numbers = [float(v) for v in raw.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if (len(numbers) != 4 or not all(math.isfinite(v) for v in numbers)
            or numbers[0] > numbers[2] or numbers[1] > numbers[3]):
        raise OGCError(
            f"bbox 须为 4 个数：左下角两个坐标、右上角两个坐标，按 bbox-crs 的轴序（收到“{raw}”）。",
            f"bbox must be 4 numbers: lower corner then upper corner, in the axis order of "
            f"bbox-crs (got '{raw}').")
    return bbox_to_xy(numbers, bbox_crs, CGCS2000)


def check_known(args: Mapping, allowed) -> None:
    """Raise OGCError naming the accepted parameters when ``args`` holds any other."""
    unknown = [k for k in args if k not in allowed]
    if unknown:
        accepted = ", ".join(allowed)
        raise OGCError(f"不认识的参数：{'、'.join(unknown)}。可用参数：{accepted}。",
                       f"Unknown parameter(s): {', '.join(unknown)}. Accepted: {accepted}.")


def property_filters(table: FeatureTable, queryable: list[str], args: Mapping) -> dict:
    """``args`` naming queryable properties, as values of each column's type.

    Raises OGCError for an argument that is neither a standard parameter nor queryable.
    """
    check_known(args, [*ITEMS_PARAMS, *queryable])
    equals = {}
    for name in (k for k in args if k in queryable):
        raw = args[name]
        if table.kinds[name] == "integer":
            try:
                equals[name] = int(raw)
            except ValueError as exc:
                raise OGCError(f"{name} 须为整数（收到“{raw}”）。",
                               f"{name} must be an integer (got '{raw}').") from exc
        elif table.kinds[name] == "boolean":
            equals[name] = raw.lower() in ("true", "1")
        else:
            equals[name] = raw
    return equals


def _instant(text: str) -> datetime | None:
    """``text`` as an aware datetime (a date is its first instant, UTC), or None if not RFC 3339."""
    if not _INSTANT.fullmatch(text):
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:  # e.g. month 13
        return None


def check_datetime(raw: str | None) -> None:
    """Check ``datetime``: an RFC 3339 instant or an interval ``start/end`` whose open end is
    ``..`` or empty. Raises OGCError for anything else (the features carry no time, so a valid
    value selects every feature)."""
    if raw is None:
        return
    ends = raw.split("/")
    parsed = [None if end in ("", "..") else _instant(end) for end in ends]
    open_ends = [end in ("", "..") for end in ends]
    bad = (len(ends) > 2 or any(p is None and not o for p, o in zip(parsed, open_ends, strict=True))
           or all(open_ends) or (len(ends) == 2 and None not in parsed and parsed[0] > parsed[1]))
    if bad:
        raise OGCError(
            f"datetime 须为 RFC 3339 时刻（如 2012-12-31 或 2012-12-31T08:00:00Z），或“起/止”区间，"
            f"开放的一端写 ..（收到“{raw}”）。",
            f"datetime must be an RFC 3339 instant (e.g. 2012-12-31 or 2012-12-31T08:00:00Z) or "
            f"an interval start/end with '..' for an open end (got '{raw}').")


def _names(raw: str) -> list[str]:
    return [n.strip() for n in raw.split(",") if n.strip()]


def _unknown_property(param: str, name: str, names: list[str]) -> OGCError:
    return OGCError(f"{param} 中的“{name}”不是该数据集的属性。可选：{'、'.join(names)}。",
                    f"{param}: '{name}' is not a property of this collection. "
                    f"Properties: {', '.join(names)}.")


def parse_sortby(raw: str | None, names: list[str]) -> tuple[tuple[str, bool], ...]:
    """``sortby`` (``+name``, ``-name`` or ``name``, comma-separated) as (name, descending)
    pairs, first key first. Raises OGCError for a name that is not a property."""
    keys = []
    for item in _names(raw or ""):
        name = item.lstrip("+-").strip()
        if name not in names:
            raise _unknown_property("sortby", name, names)
        keys.append((name, item.startswith("-")))
    return tuple(keys)


def parse_properties(raw: str | None, names: list[str]) -> list[str] | None:
    """The properties to return (``properties=a,b``; empty: none), or None for all.
    Raises OGCError for a name that is not a property."""
    if raw is None:
        return None
    chosen = list(dict.fromkeys(_names(raw)))
    for name in chosen:
        if name not in names:
            raise _unknown_property("properties", name, names)
    return chosen


def parse_flag(args: Mapping, name: str) -> bool:
    """A true/false argument (false when absent)."""
    raw = args.get(name)
    if raw is None:
        return False
    if raw.strip().lower() not in ("true", "false"):
        raise OGCError(f"{name} 须为 true 或 false（收到“{raw}”）。",
                       f"{name} must be true or false (got '{raw}').")
    return raw.strip().lower() == "true"
