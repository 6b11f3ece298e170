"""OGC API – Features under /ogc: a thin adapter over :mod:`layers.ogc.features` (JSON and HTML)."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from markupsafe import Markup

from geo.crs_ogc import CRS84
from layers.ogc.features import (
    GEOJSON,
    HTML,
    JSON,
    OPENAPI,
    SCHEMA,
    OGCService,
    catalog_collections,
)
from layers.ogc.openapi import openapi
from layers.ogc.params import parse_f
from web.i18n import current_lang

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
EXTENSION = "atlas_ogc"


def service() -> OGCService:
    return current_app.extensions[EXTENSION]


def _base() -> str:
    return url_for("ogc.landing", _external=True).rstrip("/")


def _html_wanted(mimetype: str = JSON) -> bool:
    """``?f=`` decides; without it the Accept header (browsers get HTML, clients ``mimetype``)."""
    f = parse_f(request.args.get("f"))
    if f:
        return f == "html"
    return request.accept_mimetypes.best_match([mimetype, JSON, GEOJSON, HTML]) == HTML


def _json(doc, mimetype: str = JSON) -> Response:
    body = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    return Response(body, mimetype=mimetype)


def _script_json(features: list[str]) -> Markup:
    """A JSON array of features, safe inside a <script> element."""
    text = "[" + ",".join(features) + "]"
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _with_crs(resp: Response, crs: str) -> Response:
    """Part 2: a response holding coordinates names their CRS."""
    resp.headers["Content-Crs"] = f"<{crs}>"
    return resp


@bp.after_request
def open_to_other_sites(resp: Response) -> Response:
    """Open data: any web page may read the API (CORS), as OGC API clients in browsers expect."""
    resp.headers.setdefault("Access-Control-Allow-Origin", "*")
    return resp


@bp.get("/", strict_slashes=False)
def landing():
    doc = service().landing(_base(), current_lang())
    if _html_wanted():
        return render_template("ogc/landing.html", doc=doc, conformance=service().conformance())
    return _json(doc)


@bp.get("/api")
def api():
    doc = openapi(service(), _base())
    if _html_wanted(OPENAPI):
        return render_template("ogc/api.html", doc=doc)
    return _json(doc, OPENAPI)


@bp.get("/conformance")
def conformance():
    doc = service().conformance()
    if _html_wanted():
        return render_template("ogc/landing.html", doc=service().landing(_base(), current_lang()),
                               conformance=doc)
    return _json(doc)


@bp.get("/collections")
def collections():
    doc = service().collections(_base(), current_lang())
    if _html_wanted():
        return render_template("ogc/collections.html", doc=doc)
    return _json(doc)


@bp.get("/collections/<cid>")
def collection(cid: str):
    doc = service().collection(_base(), cid, current_lang())
    if _html_wanted():
        return render_template("ogc/collection.html", doc=doc, coll=service().get(cid),
                               queryables=service().queryable_names(cid))
    return _json(doc)


@bp.get("/collections/<cid>/queryables")
def queryables(cid: str):
    doc = service().queryables(_base(), cid, current_lang())
    if _html_wanted(SCHEMA):
        return render_template("ogc/queryables.html", doc=doc, coll=service().get(cid))
    return _json(doc, SCHEMA)


@bp.get("/collections/<cid>/items")
def items(cid: str):
    html = _html_wanted()
    page = service().items(_base(), cid, request.args, html=html)
    if html:
        return render_template("ogc/items.html", page=page, coll=page.collection,
                               doc=service().collection(_base(), cid, current_lang()),
                               map_features=_script_json(page.table.features(page.rows, CRS84)))
    return _with_crs(_json(page.to_json(), GEOJSON), page.crs)


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str):
    feature, crs, props = service().item(_base(), cid, fid, request.args)
    if _html_wanted():
        table = service().table(cid)
        return render_template(
            "ogc/item.html", coll=service().get(cid), fid=fid, props=props,
            map_features=_script_json(table.features([table.row_of(fid)], CRS84)),
            links=json.loads(feature)["links"])
    return _with_crs(_json(feature, GEOJSON), crs)


def init_service(app: Flask) -> None:
    """The OGC service over the app's catalog."""
    app.extensions[EXTENSION] = OGCService(catalog_collections(app.extensions["atlas_catalog"]))

