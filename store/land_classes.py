"""The survey's land classes: each 地类编码 (DLBM) with its name and the group the evaluation
rules count it in (建设用地 / 农用地 / 未利用地), and whether it is 工业用地 or 耕地.

The table is data, ``data/sources/land_classes.csv`` (the 三调 工作分类 of TD/T 1055-2019
附录A, grouped as GB/T 21010-2017 附录A groups its classes); a code it does not hold is reported,
never guessed.
"""

from __future__ import annotations

import csv
from functools import lru_cache

import numpy as np
import pandas as pd

from core.shipped import shipped

CONSTRUCTION, AGRICULTURAL, UNUSED = "建设用地", "农用地", "未利用地"
GROUP_LABELS = {CONSTRUCTION: ("建设用地", "construction land"),
                AGRICULTURAL: ("农用地", "agricultural land"), UNUSED: ("未利用地", "unused land")}
#: the columns a survey patch gets from the table
DERIVED = ("land_group", "is_industrial", "is_cultivated")


@lru_cache(maxsize=1)
def table() -> pd.DataFrame:
    """The code table, indexed by ``code``."""
    with open(shipped("data", "sources", "land_classes.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    frame = pd.DataFrame(rows).set_index("code")
    frame["industrial"] = frame["industrial"] == "yes"
    frame["cultivated"] = frame["cultivated"] == "yes"
    return frame


def normalise_codes(codes) -> np.ndarray:
    """DLBM values as the table writes them: text, trimmed, letters upper case (``05h1`` → ``05H1``)."""
    return pd.Series(codes, dtype="string").str.strip().str.upper().fillna("").to_numpy(dtype=object)


def unknown_codes(codes) -> list[str]:
    """The distinct codes of ``codes`` the table does not hold (empty ones included as "")."""
    distinct = pd.unique(normalise_codes(codes))
    return sorted(str(c) for c in distinct if c not in table().index)


def classify(codes) -> dict[str, np.ndarray]:
    """``land_group``, ``is_industrial``, ``is_cultivated`` for each code (known codes only)."""
    found = table().reindex(normalise_codes(codes))
    return {"land_group": found["group"].to_numpy(dtype=object),
            "is_industrial": found["industrial"].fillna(False).to_numpy(dtype=bool),
            "is_cultivated": found["cultivated"].fillna(False).to_numpy(dtype=bool)}
