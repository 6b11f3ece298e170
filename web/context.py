"""Access to the per-app objects from inside a request or CLI command."""

from flask import current_app

from parks.catalog import Catalog


def catalog() -> Catalog:
    return current_app.extensions["atlas_catalog"]
