"""What a printed sheet is asked to be: scope, layers, format, paper, dpi, language, title, theme.

:func:`parse_options` turns query parameters (web) or command-line options (CLI) into a
:class:`SheetOptions`, refusing anything unusable with a bilingual :class:`UserError`.
Paper sizes are ISO 216; every measure of the layout is in millimetres of an A4 sheet and is
scaled for A3, so the two look the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import UserError
from geo.crs import HENAN_BOUNDS
from parks.catalog import LAYERS

PAPERS_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS = ("portrait", "landscape")
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
DPI_CHOICES = (150, 300)
DPI_RANGE = (72, 300)
LANGS = ("zh", "en")
THEMES = ("layers", "builtup", "revenue")
SCOPE_KINDS = ("province", "city", "park", "cluster")
#: every layer a sheet can show, in drawing order (boundaries underneath)
MAP_LAYERS = ("boundaries", *(name for name in LAYERS if name != "boundaries"))
#: layers a themed sheet shows unless others are asked for (the theme is the message)
THEME_LAYERS = {"builtup": ("boundaries", "zones"), "revenue": ("boundaries", "parks", "clusters")}
#: the theme a scope gets unless one is asked for
SCOPE_THEME = {"cluster": "revenue"}
MAX_TITLE = 60
MM_PER_INCH = 25.4
#: punctuation that must not begin a line (kept on the line before, slightly over width)
_NO_LINE_START = set("，。、；：？！）》」』】,.;:?!)%")


def _bad(zh: str, en: str, code: str = "bad_parameter") -> UserError:
    return UserError(zh, en, code=code)


@dataclass(frozen=True)
class SheetOptions:
    scope: str = "province"
    layers: tuple[str, ...] = MAP_LAYERS
    fmt: str = "png"
    paper: str = "A4"
    orientation: str = "portrait"
    dpi: int = 300
    lang: str = "zh"
    title: str = ""  # empty: the scope's default title
    theme: str = "layers"
    bbox: tuple[float, float, float, float] | None = None  # lon/lat extent seen on screen

    @property
    def scope_kind(self) -> str:
        return self.scope.split(":", 1)[0]

    @property
    def scope_key(self) -> str:
        return self.scope.split(":", 1)[1] if ":" in self.scope else ""

    @property
    def paper_mm(self) -> tuple[float, float]:
        w, h = PAPERS_MM[self.paper]
        return (h, w) if self.orientation == "landscape" else (w, h)

    @property
    def scale(self) -> float:
        """Size factor relative to A4 (lines, fonts and margins grow with the paper)."""
        return min(self.paper_mm) / min(PAPERS_MM["A4"])

    @property
    def size_inches(self) -> tuple[float, float]:
        """Paper size in inches, rounded to whole pixels at ``dpi`` (A4 at 300 dpi: 2480×3508)."""
        return tuple(round(mm / MM_PER_INCH * self.dpi) / self.dpi for mm in self.paper_mm)

    @property
    def mimetype(self) -> str:
        return FORMATS[self.fmt]


def _choice(value: str, allowed, name: str) -> str:
    if value not in allowed:
        listed = "、".join(allowed)
        raise _bad(f"{name} 须为 {listed} 之一（收到“{value}”）。",
                   f"{name} must be one of {', '.join(allowed)} (got '{value}').")
    return value


def _scope(text: str) -> str:
    kind, _, key = text.partition(":")
    if kind not in SCOPE_KINDS or (kind == "province") != (not key.strip()):
        raise _bad(f"无法识别的范围“{text}”。请用 province、city:<城市名>、park:<园区编号> 或 "
                   "cluster:<集群编号>。",
                   f"Unknown scope '{text}'. Use province, city:<name>, park:<id> or cluster:<id>.",
                   code="bad_scope")
    return f"{kind}:{key.strip()}" if key else kind


def _layers(text: str | None) -> tuple[str, ...]:
    if text is None:
        return MAP_LAYERS
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MAP_LAYERS]
    if unknown:
        raise _bad(f"未知图层：{'、'.join(unknown)}。可选图层：{'、'.join(MAP_LAYERS)}。",
                   f"Unknown layer(s): {', '.join(unknown)}. Layers: {', '.join(MAP_LAYERS)}.",
                   code="bad_layer")
    return tuple(n for n in MAP_LAYERS if n in names)


def _dpi(text: str) -> int:
    try:
        dpi = int(text)
    except ValueError:
        dpi = -1
    lo, hi = DPI_RANGE
    if not lo <= dpi <= hi:
        raise _bad(f"dpi 须为 {lo} 到 {hi} 之间的整数（常用 150 或 300；收到“{text}”）。",
                   f"dpi must be a whole number from {lo} to {hi} (150 or 300 usual; got '{text}').",
                   code="bad_dpi")
    return dpi


def _title(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_TITLE or any(unicodedata.category(c) == "Cc" for c in text):
        raise _bad(f"标题过长或含控制字符：最多 {MAX_TITLE} 个字（现为 {len(text)} 个）。",
                   f"The title is too long or has control characters: at most {MAX_TITLE} "
                   f"characters (it has {len(text)}).", code="bad_title")
    return text


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    parts = re.split(r"\s*,\s*", text.strip())
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        x0 = y0 = x1 = y1 = float("nan")
    w, s, e, n = HENAN_BOUNDS
    ok = x0 < x1 and y0 < y1 and x0 < e and x1 > w and y0 < n and y1 > s and (x1 - x0) < 20
    if not ok:
        raise _bad("bbox 须为“最小经度,最小纬度,最大经度,最大纬度”，且与河南省相交。",
                   "bbox must be 'minlon,minlat,maxlon,maxlat' and overlap Henan.", code="bad_bbox")
    return (x0, y0, x1, y1)


def parse_options(args: Mapping[str, str], **defaults) -> SheetOptions:
    """Options from query parameters or CLI options; ``defaults`` override the built-in ones.

    Raises :class:`UserError` (400) naming the parameter and the accepted values.
    """
    base = SheetOptions(**defaults)

    def get(key: str, fallback):
        value = args.get(key)
        return fallback if value in (None, "") else str(value).strip()

    scope = _scope(get("scope", base.scope))
    theme = _choice(get("theme", SCOPE_THEME.get(scope.split(":")[0], base.theme)).lower(), THEMES, "theme")
    return SheetOptions(
        scope=scope,
        layers=_layers(args.get("layers")) if "layers" in args else THEME_LAYERS.get(theme, base.layers),
        fmt=_choice(get("format", base.fmt).lower(), FORMATS, "format"),
        paper=_choice(get("paper", base.paper).upper(), PAPERS_MM, "paper"),
        orientation=_choice(get("orientation", base.orientation).lower(), ORIENTATIONS, "orientation"),
        dpi=_dpi(get("dpi", str(base.dpi))),
        lang=_choice(get("lang", base.lang).lower(), LANGS, "lang"),
        title=_title(args.get("title") or base.title),
        theme=theme,
        bbox=_bbox(args.get("bbox")) if args.get("bbox") else base.bbox,
    )


def text_width_em(text: str) -> float:
    """Approximate width in ems: CJK characters are one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)


def wrap(text: str, width_em: float) -> list[str]:
    """Break ``text`` into lines of at most ``width_em`` ems, between words or CJK characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, width = "", 0.0
        for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+",
                                paragraph):
            w = text_width_em(token)
            if width + w > width_em and line.strip() and token not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, width = ("", 0.0) if token.isspace() else (token, w)
            else:
                line, width = line + token, width + w
        lines.append(line.rstrip())
    return lines
