"""Access to the per-app objects from inside a request or CLI command."""

from flask import current_app

from layers.tiles.service import TileService
from parks.catalog import Catalog

TILES = "atlas_tiles"


def catalog() -> Catalog:
    return current_app.extensions["atlas_catalog"]


def tiles() -> TileService:
    return current_app.extensions[TILES]
