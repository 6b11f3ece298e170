"""Vector tiles of every layer (Mapbox Vector Tiles, TileJSON 3.0.0, OGC API – Tiles).

* :mod:`layers.tiles.rule` — what a tile holds at each zoom (every feature from the layer's
  detail zoom up; counted clusters below it, never a silent drop);
* :mod:`layers.tiles.mbtiles` — the embedded engine: GDAL's MVT writer builds one MBTiles file
  per layer version from the same GeoDataFrame the rest of the app uses;
* :mod:`layers.tiles.postgis` — the shared engine: layers in PostGIS tables with GiST indexes,
  tiles from ``ST_AsMVT``, for several app servers;
* :mod:`layers.tiles.jobs` — builds of big layers in a background process, with progress;
* :mod:`layers.tiles.service` — one interface over both engines (versions, TileJSON, tiles).
"""
