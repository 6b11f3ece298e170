"""The CJK font of every printed sheet: Noto Sans CJK SC, shipped by the `mplfonts` package.

PDFs (sheets, pitch packs, check reports) embed the glyphs they use as a TrueType CID font subset
(Type 0 / CIDFontType2 with a FontFile2, matplotlib's ``pdf.fonttype = 42``) and a ToUnicode map,
so Chinese text can be searched, copied and pasted, and archives and printers accept it. The
shipped font has CFF (PostScript) outlines, which a PDF cannot carry as TrueType, so it is
converted with fontTools to TrueType (quadratic) outlines, once per machine: about 30 s of CPU
and 570 MB at the peak, at the first start (``create_app``) or first use. The copy (12.6 MB) is
cached in matplotlib's cache folder (``MPLCONFIGDIR``, else ``~/.cache/matplotlib``) under
``sei-atlas/``, named by the SHA-256 of the source and :data:`CONVERSION`: later processes reuse
it, a changed font is converted again and its old copy removed. Threads and processes that
start at once wait for the one converting (a file lock); readers never see half a file.
Each PDF then subsets it with fontTools (about half a second a document).

All text is drawn from that one file (``FontProperties(fname=…)``), never from a same-named
system font, so PNG and PDF look the same on every machine; the font has one weight, so bold
text prints regular. SVGs keep text as ``<text>`` naming the family, so it stays editable;
viewers need the font installed (fonts-noto-cjk) or fall back to a generic sans-serif.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib.font_manager import FontProperties

FAMILY = "Noto Sans CJK SC"
#: the most a quadratic curve may stray from the cubic it replaces, in font units (1000 per em)
MAX_ERR = 1.0
#: raise when the conversion changes, so every machine converts again
CONVERSION = 5

_lock = threading.Lock()


def source_file() -> Path:
    """The shipped OpenType font (CFF outlines)."""
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular.otf"


def cache_dir() -> Path:
    return Path(matplotlib.get_cachedir()) / "sei-atlas"


def to_truetype(src: Path, dest: Path) -> None:
    """Write the OpenType/CFF font ``src`` as ``dest`` with TrueType outlines (within
    :data:`MAX_ERR`, unhinted): every character of its cmap, with its advance and kerning (GPOS).

    Glyph substitutions (GSUB) are left out, and with them the glyphs only they reach (a third of
    Noto Sans CJK SC: Japanese, Korean, Traditional and vertical forms, ligatures). So glyphs
    never depend on the process locale (HarfBuzz takes its default language from it, and GSUB
    ``locl`` would then print Japanese or Traditional forms), each PDF subsets a smaller font,
    and Latin ligatures (fi, fl) do not cost a PDF a second subset of the whole font."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(src, recalcTimestamp=False)
    characters = font.getBestCmap()
    drawn = {".notdef", *characters.values()}
    outlines = font.getGlyphSet()
    metrics = font["hmtx"].metrics
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = font.getGlyphOrder(), {}
    for name in glyf.glyphOrder:
        pen = TTGlyphPen(None)
        if name in drawn:  # the others stay empty and are dropped below
            outlines[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyph = glyf.glyphs[name] = pen.glyph()
        glyph.recalcBounds(glyf)
        metrics[name] = (metrics[name][0], glyph.xMin)
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG", "GSUB"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    font.sfntVersion = "\x00\x01\x00\x00"
    options = subset.Options(layout_features=["*"], name_IDs=["*"], name_languages=["*"],
                             name_legacy=True, notdef_outline=True, glyph_names=True,
                             recalc_timestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    post = font["post"]  # glyph names stored (format 2): each PDF reads them faster than it
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}  # derives them from the cmap
    font.save(dest)


@contextmanager
def _machine_lock(path: Path):
    """Hold an exclusive lock on ``path`` across processes where the OS offers one (POSIX)."""
    try:
        import fcntl
    except ImportError:  # Windows: two first starts may both convert; os.replace keeps it whole
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(src: Path, dest: Path) -> None:
    """Convert ``src`` into ``dest`` atomically (readers see no file or a whole one), then
    remove the copies of earlier fonts or conversions."""
    handle, part = tempfile.mkstemp(dir=dest.parent, prefix=dest.stem, suffix=".part")
    os.close(handle)
    try:
        to_truetype(src, Path(part))
        os.chmod(part, 0o644)
        os.replace(part, dest)
    finally:
        Path(part).unlink(missing_ok=True)
    for stale in dest.parent.glob(f"{src.stem}-*.ttf"):
        if stale != dest:
            with suppress(OSError):  # still open elsewhere (Windows): left for next time
                stale.unlink()


def truetype_file() -> Path:
    """The TrueType copy of :func:`source_file` in :func:`cache_dir`, converted when missing
    (once per machine: other threads and processes wait for it and then use it).

    Raises ``RuntimeError`` when the shipped font is missing; a failed conversion raises its
    own error and leaves no file."""
    src = source_file()
    if not src.exists():
        raise RuntimeError(f"CJK font missing: {src} (reinstall the mplfonts package)")
    digest = hashlib.sha256(b"%d:" % CONVERSION + src.read_bytes()).hexdigest()[:16]
    dest = cache_dir() / f"{src.stem}-{digest}.ttf"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _lock, _machine_lock(dest.with_suffix(".lock")):
            if not dest.exists():
                _install(src, dest)
    return dest


@lru_cache(maxsize=1)
def register() -> Path:
    """Make the TrueType font ready (converting it on a machine's first start) and set the
    process-wide output choices, once per process (always the same values, so concurrent
    renders see the same settings). Returns the font file."""
    path = truetype_file()
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["pdf.fonttype"] = 42
    # matplotlib (3.11) sizes a PDF's font subsets by ps.fonttype: 42 keeps every Chinese
    # character in one subset (3 would split them in 256s, each a fresh subsetting pass)
    matplotlib.rcParams["ps.fonttype"] = 42
    return path


def props(size: float, *, weight: str = "normal") -> FontProperties:
    """Font properties for text of ``size`` points in the CJK font (SVGs name its family)."""
    return FontProperties(family=[FAMILY, "sans-serif"], size=size, weight=weight, fname=register())
