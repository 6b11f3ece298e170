"""Reading the shipped source material: `data/sources/sites.csv` and the plan's targets."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from core.shipped import shipped
from parks.provenance import precision_class

SOURCES_DIR = shipped("data", "sources")


@dataclass(frozen=True)
class Site:
    """One row of sites.csv, with its row number (``src_id``) kept as the evidence key."""

    src_id: int
    layer: str
    name_zh: str
    name_en: str
    city: str
    county: str
    lon: float | None
    lat: float | None
    precision: str
    precision_note: str
    attributes: str
    source: str

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None

    def attribute(self, key: str) -> str | None:
        """A ``key=value`` item of the attributes cell (``strength``, ``sector``…)."""
        m = re.search(rf"(?:^|[;,]\s*){re.escape(key)}=([^;]+)", self.attributes)
        return m.group(1).strip() if m else None


def _float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def read_sites(path: Path | None = None) -> list[Site]:
    path = path or SOURCES_DIR / "sites.csv"
    with open(path, encoding="utf-8", newline="") as f:
        return [
            Site(src_id=i, layer=r["layer"], name_zh=r["name_zh"], name_en=r["name_en"],
                 city=r["city_zh"], county=r["county_zh"], lon=_float(r["lon"]),
                 lat=_float(r["lat"]), precision=precision_class(r["precision"]),
                 precision_note=r["precision"], attributes=r["attributes"], source=r["source"])
            for i, r in enumerate(csv.DictReader(f), start=1)
        ]


def read_plan_targets(path: Path | None = None) -> list[dict]:
    """The plan's figures, every one with basis ``plan`` and the section that states it."""
    path = path or SOURCES_DIR / "plan_targets.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["basis"] = "plan"
        for year in ("value_2012", "value_2013"):
            v = r[year]
            r[year] = float(v) if re.fullmatch(r"\d+(\.\d+)?", v) else (v or None)
    return rows


def plan_target(key: str, targets: list[dict] | None = None) -> dict:
    """The row of ``key`` in ``targets`` (default: the shipped plan_targets.csv)."""
    for r in targets or read_plan_targets():
        if r["key"] == key:
            return r
    raise KeyError(key)


#: the provincial demonstration parks the plan names: the slots its park totals are split over
PARK_SLOTS = int(plan_target("parks_count")["value_2013"])
#: the second-batch parks the plan announces for 2013 ("about" this many)
SECOND_BATCH = int(plan_target("second_batch_parks")["value_2013"])
