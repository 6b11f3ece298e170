"""Front-end libraries served from their PyPI (XStatic) packages: nothing comes from a CDN."""

from __future__ import annotations

import importlib

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

#: URL name -> XStatic module; fonts come from `mplfonts`
PACKAGES = {
    "leaflet": "xstatic.pkg.leaflet",
    "leaflet-markercluster": "xstatic.pkg.leaflet_markercluster",
    "font-awesome": "xstatic.pkg.font_awesome",
}
CACHE_SECONDS = 7 * 24 * 3600


@bp.route("/<package>/<path:filename>")
def asset(package: str, filename: str):
    module = PACKAGES.get(package)
    if module is None:
        abort(404)
    base = importlib.import_module(module).BASE_DIR
    return send_from_directory(base, filename, max_age=CACHE_SECONDS)
