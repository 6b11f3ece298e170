"""Turns domain data into maps, one subpackage per kind of output:

* :mod:`layers.web` — Folium maps and the feature API behind the pages;
* :mod:`layers.print` — matplotlib sheets, pitch packs and verdict PDFs;
* :mod:`layers.ogc` — OGC API – Features and – Tiles documents;
* :mod:`layers.tiles` — vector tiles of every layer (embedded MBTiles or PostGIS).

Shared by all of them at this level: :mod:`~layers.styles` (one palette), :mod:`~layers.labels`,
:mod:`~layers.legend` and :mod:`~layers.downloads`.
"""
