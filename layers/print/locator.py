"""The locator inset of a city, park or cluster sheet: Henan and its cities, with the sheet's
extent marked in red, so a reader who does not know Henan by heart sees where the map lies.

The inset goes in the corner of the map frame where it covers the least of what the sheet
shows (symbols, thematic labels' anchors, the scope's own outline), clear of the north arrow and
the scale bar; the label placement then treats it as an obstacle.
"""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib.patches import Circle, PathPatch
from matplotlib.transforms import Bbox

from geo.area import HENAN_EQUAL_AREA
from geo.crs import CGCS2000, transform_geoms
from layers.print import printmap
from layers.print.scope import fit_frame
from layers.print.sheet import SheetOptions

#: the inset's width on A4 (mm), and its gap to the map frame and to the north arrow / scale bar
INSET_MM, GAP_MM = 38.0, 3.0
#: the furniture in the map's left corners (mm on A4): north arrow (top) and scale bar (bottom)
FURNITURE_MM = 4.0 + 14.0
#: an extent narrower than this on the inset (mm) is also ringed, so it can be found
RING_BELOW_MM = 3.0
EXTENT_COLOUR = "#d62728"
#: boundary lines on the inset are this fraction of their weight on the map
LINE_SCALE = 0.45
#: a thematic label's anchor inside a corner counts as much as a symbol; the scope's outline
#: covering the whole corner counts as much as this many
FOCUS_WEIGHT = 5.0
THEMATIC_LABELS = ("label-parks", "label-zones", "label-foxconn", "label-clusters", "label-projects",
                   "label-theme")


def corners(map_box: tuple, width: float, height: float, s: float) -> list[tuple]:
    """Candidate boxes (x, y, w, h) in mm: right corners first, then the left ones beside the
    north arrow (below it) and the scale bar (above it)."""
    mx, my, mw, mh = map_box
    gap, furniture = GAP_MM * s, FURNITURE_MM * s
    right, left = mx + mw - gap - width, mx + gap
    top, bottom = my + mh - gap - height, my + gap
    return [(right, top, width, height), (right, bottom, width, height),
            (left, bottom + furniture, width, height), (left, top - furniture, width, height)]


def _to_map(box: tuple, map_box: tuple, frame: tuple) -> shapely.Polygon:
    """A box in mm of the sheet as a polygon in the map's coordinates."""
    (mx, my, mw, mh), (x0, x1, y0, y1) = map_box, frame
    kx, ky = (x1 - x0) / mw, (y1 - y0) / mh
    return shapely.box(x0 + (box[0] - mx) * kx, y0 + (box[1] - my) * ky,
                       x0 + (box[0] + box[2] - mx) * kx, y0 + (box[1] + box[3] - my) * ky)


def covered(canvas: printmap.MapCanvas, area: shapely.Polygon, focus) -> float:
    """How much of the sheet's content ``area`` (map coordinates) would hide."""
    points = [(x, y) for x, y, _ in canvas.symbols]
    points += [(r.x, r.y) for r in canvas.labels if r.gid in THEMATIC_LABELS]
    hidden = float(np.count_nonzero(shapely.contains_xy(area, *np.array(points).T))) if points else 0.0
    if focus is not None:
        hidden += FOCUS_WEIGHT * shapely.area(shapely.intersection(focus, area)) / area.area
    return hidden


def place(canvas: printmap.MapCanvas, options: SheetOptions, map_box: tuple, province, focus) -> tuple:
    """The inset's box (mm): the candidate corner that hides least, the first on a tie."""
    (x0, y0, x1, y1) = shapely.bounds(transform_geoms(province, CGCS2000, HENAN_EQUAL_AREA))
    width = INSET_MM * options.scale
    height = width * (y1 - y0) / (x1 - x0)
    frame = (*canvas.ax.get_xlim(), *canvas.ax.get_ylim())
    projected = None if focus is None else transform_geoms(focus, CGCS2000, canvas.crs)
    boxes = corners(map_box, width, height, options.scale)
    return min(boxes, key=lambda box: covered(canvas, _to_map(box, map_box, frame), projected))


def draw(fig, options: SheetOptions, box: tuple, boundaries: dict, extent_lonlat) -> Bbox:
    """The inset in ``box`` (mm): province and cities from ``boundaries``, ``extent_lonlat``
    (the map frame in CGCS2000) in red. Returns the inset's window extent, for the labels."""
    w, h = options.paper_mm
    ax = fig.add_axes((box[0] / w, box[1] / h, box[2] / w, box[3] / h))
    ax.set_gid("locator")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for spine in ax.spines.values():
        spine.set_linewidth(0.5 * options.scale)
        spine.set_color("#888888")
    province = boundaries["province"].geometry.iloc[0]
    bounds = shapely.bounds(transform_geoms(province, CGCS2000, HENAN_EQUAL_AREA))
    x0, x1, y0, y1 = fit_frame(bounds, box, 0.04)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    canvas = printmap.MapCanvas(ax, HENAN_EQUAL_AREA, options.lang, options.scale * LINE_SCALE,
                                (x1 - x0) / box[2])
    printmap.draw_boundaries(canvas, boundaries)
    extent = transform_geoms(extent_lonlat, CGCS2000, HENAN_EQUAL_AREA)
    ax.add_artist(PathPatch(printmap.polygon_path([extent]), fc=(0.84, 0.15, 0.16, 0.15), ec=EXTENT_COLOUR,
                            lw=0.9 * options.scale, zorder=10, gid="locator-extent"))
    ex0, ey0, ex1, ey1 = extent.bounds
    if max(ex1 - ex0, ey1 - ey0) < RING_BELOW_MM * canvas.units_per_mm:
        centre = shapely.centroid(extent)
        ax.add_artist(Circle((centre.x, centre.y), RING_BELOW_MM / 2 * canvas.units_per_mm, fc="none",
                             ec=EXTENT_COLOUR, lw=0.9 * options.scale, zorder=10, gid="locator-ring"))
    return ax.get_window_extent(fig.canvas.get_renderer())
