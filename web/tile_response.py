"""The HTTP response of one vector tile, shared by the layers' tiles and the basemap's: gzip when
accepted, 204 when empty, an ETag, and a year's cache for URLs that name their version."""

from __future__ import annotations

import gzip
from collections.abc import Callable

from flask import Response, request

MVT = "application/vnd.mapbox-vector-tile"
YEAR = 365 * 24 * 3600


def mvt_response(key: str, read: Callable[[], bytes | None]) -> Response:
    """A tile response: ``read()`` gives the gzip-compressed tile (None: empty, 204); ETag
    ``key``, cached for a year when the URL names its version (``?v=``)."""
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    etag = key + ("-gz" if gzip_ok else "")
    cache = f"public, max-age={YEAR}, immutable" if "v" in request.args else "no-cache"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        data = read()
        if data is None:
            response = Response(status=204)
        elif gzip_ok:
            response = Response(data, mimetype=MVT)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(gzip.decompress(data), mimetype=MVT)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Access-Control-Allow-Origin"] = "*"  # desktop GIS and other map clients
    return response
