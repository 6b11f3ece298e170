"""The industry a feature belongs to, as the map's industry filter knows it (Chinese key)."""

from __future__ import annotations

import pandas as pd


def industry_keys(layer: str, frame: pd.DataFrame) -> pd.Series:
    """The industry key of every row of ``layer``: a cluster's type (its name without the
    bracketed place), a park's or project's industry; '' for layers without one."""
    if layer == "clusters":
        return frame["name_zh"].fillna("").str.replace(r"（.*?）", "", regex=True)
    if layer in ("parks", "projects") and "ind_zh" in frame:
        return frame["ind_zh"].fillna("")
    return pd.Series("", index=frame.index)
