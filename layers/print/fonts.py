"""The CJK font of every printed sheet: Noto Sans CJK SC, shipped by the `mplfonts` package.

Matplotlib cannot embed a CFF-flavoured OpenType font (this one) as TrueType in a PDF without
producing a file some readers reject, so PDFs embed the used glyphs as a Type 3 subset (valid
everywhere, text stays searchable). SVGs keep text as ``<text>`` naming the family, so it stays
editable; viewers need the font installed (fonts-noto-cjk) or fall back to a generic sans-serif.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

FAMILY = "Noto Sans CJK SC"

_lock = threading.Lock()


def font_file() -> Path:
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=1)
def register() -> str:
    """Register the font with matplotlib once per process and set the process-wide output
    choices (set once, never changed, so concurrent renders see the same settings)."""
    with _lock:
        path = font_file()
        if not path.exists():
            raise RuntimeError(f"CJK font missing: {path} (reinstall the mplfonts package)")
        font_manager.fontManager.addfont(str(path))
        matplotlib.rcParams["svg.fonttype"] = "none"
        matplotlib.rcParams["pdf.fonttype"] = 3
    return FAMILY


def props(size: float, *, weight: str = "normal") -> FontProperties:
    """Font properties for text of ``size`` points in the CJK family."""
    register()
    return FontProperties(family=[FAMILY, "sans-serif"], size=size, weight=weight)
