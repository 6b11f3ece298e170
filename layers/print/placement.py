"""Where symbols and labels go on a printed map, so they do not hide each other.

Points closer than a symbol's width are spread on a small ring around their common centre
(a displacement the sheet's note mentions). Labels are placed greedily by priority: each tries
the eight positions around its symbol and takes the first that overlaps no placed label, no
symbol and stays inside the frame; a label with no free position is left out. A basemap
place (``marked``) is left out when a label placed before it covers its point, and once
placed its dot is kept clear like a symbol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import Bbox

#: candidate positions: (dx, dy) direction, horizontal and vertical alignment
POSITIONS = (
    ((1, 0), "left", "center"), ((-1, 0), "right", "center"),
    ((0, 1), "center", "bottom"), ((0, -1), "center", "top"),
    ((0.75, 0.75), "left", "bottom"), ((0.75, -0.75), "left", "top"),
    ((-0.75, 0.75), "right", "bottom"), ((-0.75, -0.75), "right", "top"),
)
#: further out, for crowded places
FAR = tuple(((dx * k, dy * k), ha, va) for k in (2, 3) for (dx, dy), ha, va in POSITIONS)
#: space between a symbol and its label, and the label's halo box (points)
GAP_PT, HALO_PT = 3.0, 1.2
#: how far an alignment moves a label's box from its anchor, in box widths (or heights)
SHIFT = {"left": 0.0, "bottom": 0.0, "center": 0.5, "right": 1.0, "top": 1.0}
#: area labels (cities) sit on their point, or shift a little
CENTRE = tuple(((dx, dy), "center", "center") for dx, dy in (
    (0, 0), (0, -1), (0, 1), (1.5, 0), (-1.5, 0), (1.5, -1), (-1.5, -1), (1.5, 1), (-1.5, 1),
    (0, -2), (0, 2), (2.5, 0), (-2.5, 0), (2.5, -2), (-2.5, 2)))


def dodge(xy: np.ndarray, min_dist: float) -> np.ndarray:
    """Spread points that lie within ``min_dist`` of each other evenly on a ring around their
    mean, so each stays visible; isolated points do not move."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    out = xy.copy()
    unassigned = list(range(len(xy)))
    while unassigned:
        seed = unassigned.pop(0)
        group = [seed]
        for j in list(unassigned):
            if np.min(np.hypot(*(xy[group] - xy[j]).T)) < min_dist:
                group.append(j)
                unassigned.remove(j)
        if len(group) > 1:
            centre = xy[group].mean(axis=0)
            radius = min_dist / (2 * math.sin(math.pi / len(group)))
            for k, idx in enumerate(group):
                angle = math.pi / 2 + 2 * math.pi * k / len(group)
                out[idx] = centre + radius * np.array([math.cos(angle), math.sin(angle)])
    return out


@dataclass
class LabelRequest:
    x: float  # data coordinates of the symbol
    y: float
    text: str
    priority: int  # lower is placed first
    radius_pt: float  # the symbol's radius: the label keeps clear of it
    style: dict  # keyword arguments for ``ax.annotate`` (font, colour, bbox…)
    centred: bool = False  # area labels (cities) sit on their point
    far: bool = False  # may also sit further out (for the most important labels)
    gid: str = "label"
    marked: bool = False  # a place's dot, drawn only with its label: left out when already covered


def _overlaps(box: Bbox, others: list[Bbox]) -> bool:
    return any(box.overlaps(o) for o in others)


def place_labels(ax, renderer, requests: list[LabelRequest], obstacles: list[Bbox]) -> tuple[list, list]:
    """Annotate ``ax`` with the labels that fit; returns (placed artists, dropped requests)."""
    frame = ax.get_window_extent(renderer)
    pad = renderer.points_to_pixels(HALO_PT)
    placed_boxes: list[Bbox] = []
    placed, dropped = [], []
    for req in sorted(requests, key=lambda r: r.priority):
        px, py = ax.transData.transform((req.x, req.y))
        covered = req.marked and any(b.contains(px, py) for b in placed_boxes)
        if covered or not frame.contains(px, py):
            dropped.append(req)
            continue
        artist = ax.annotate(req.text, (req.x, req.y), xytext=(0, 0), textcoords="offset points",
                             annotation_clip=True, **req.style)
        artist.set_gid(req.gid)
        artist.set_horizontalalignment("left")
        artist.set_verticalalignment("bottom")
        size = artist.get_window_extent(renderer)  # laid out once; each position only moves it
        gap = req.radius_pt if req.centred else req.radius_pt + GAP_PT
        gap_px = renderer.points_to_pixels(gap)
        for (dx, dy), ha, va in CENTRE if req.centred else POSITIONS + (FAR if req.far else ()):
            box = size.translated(dx * gap_px - SHIFT[ha] * size.width,
                                  dy * gap_px - SHIFT[va] * size.height).padded(pad)
            inside = frame.containsx(box.x0) and frame.containsx(box.x1) and \
                frame.containsy(box.y0) and frame.containsy(box.y1)
            if inside and not _overlaps(box, placed_boxes) and not _overlaps(box, obstacles):
                artist.xyann = (dx * gap, dy * gap)
                artist.set_horizontalalignment(ha)
                artist.set_verticalalignment(va)
                placed_boxes.append(box)
                placed.append(artist)
                if req.marked:  # later labels keep clear of the dot
                    r = renderer.points_to_pixels(req.radius_pt)
                    placed_boxes.append(Bbox.from_extents(px - r, py - r, px + r, py + r))
                break
        else:
            artist.remove()
            dropped.append(req)
    return placed, dropped
