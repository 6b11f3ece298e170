"""Layers too big to read whole for a sheet (a project register, a land-supply layer of a
million features): a sheet reads the features in its frame when few enough to print one by
one, else only their envelopes, which it prints as counted clusters (as the map's tiles do at
low zoom). A province sheet of a million features then costs their envelopes (32 bytes a
feature, kept by the catalog), not the layer."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from geo.crs import CGCS2000, transformer
from layers.print import printmap
from parks.catalog import Catalog


@dataclass(frozen=True)
class BigLayer:
    """Thematic layer ``name`` of ``catalog``, read for one sheet's frame."""

    catalog: Catalog
    name: str

    def draw(self, canvas: printmap.MapCanvas, **kw) -> None:
        """The features whose envelope meets the frame, drawn one by one when at most
        :data:`~layers.print.printmap.PRINT_MAX_FEATURES`, else counted from their envelopes'
        centres."""
        positions = self.catalog.positions_in(self.name, canvas.frame_lonlat.bounds)
        if len(positions) <= printmap.PRINT_MAX_FEATURES:
            printmap.draw_layer(canvas, self.name, self.catalog.features(self.name, positions), **kw)
            return
        b = self.catalog.bounds(self.name)[positions]
        x, y = transformer(CGCS2000, canvas.crs).transform((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)
        (x0, x1), (y0, y1) = canvas.ax.get_xlim(), canvas.ax.get_ylim()
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        flags = self.catalog.attributes(self.name, ["fictional"])
        if "fictional" in flags and flags["fictional"].to_numpy()[positions[inside]].astype(bool).any():
            canvas.fictional = True
        printmap.draw_counts(canvas, self.name, np.column_stack([x[inside], y[inside]]))


def sheet_layer(catalog: Catalog, name: str) -> gpd.GeoDataFrame | BigLayer:
    """``name`` for a sheet: whole when it is small, else a :class:`BigLayer`."""
    return BigLayer(catalog, name) if catalog.is_big(name) else catalog.layer(name)
