"""The OpenAPI 3.0 document of the OGC API (``/ogc/api``, the landing page's service-desc).

Each collection gets its own items path, so its queryable properties are declared as
parameters (clients such as GDAL read the ``limit`` bounds and the filters from here).
"""

from __future__ import annotations

from layers.ogc.features import GEOJSON, HTML, JSON, OPENAPI, SCHEMA, OGCService
from layers.ogc.params import CRS_LIST, DEFAULT_LIMIT, MAX_LIMIT

_EXCEPTION = {"description": "An OGC API exception, with message_zh / message_en.",
              "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}}}


def _query(name: str, description: str, schema: dict, *, explode: bool = False) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, "style": "form", "explode": explode}


PARAMETERS = {
    "f": _query("f", "Output format: json (GeoJSON) or html.",
                {"type": "string", "enum": ["json", "html"]}),
    "lang": _query("lang", "Language of titles: zh (default) or en.",
                   {"type": "string", "enum": ["zh", "en"]}),
    "limit": _query("limit", f"Features per page (default {DEFAULT_LIMIT}; larger values are "
                    f"served as {MAX_LIMIT}).",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    "offset": _query("offset", "Features to skip (the next/prev links carry it).",
                     {"type": "integer", "minimum": 0, "default": 0}),
    "bbox": _query("bbox", "Lower and upper corner (4 numbers) in the axis order of bbox-crs.",
                   {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}),
    "bbox-crs": _query("bbox-crs", "CRS of bbox (default CRS84).",
                       {"type": "string", "format": "uri", "enum": CRS_LIST}),
    "crs": _query("crs", "CRS of the returned coordinates (default CRS84); see Content-Crs.",
                  {"type": "string", "format": "uri", "enum": CRS_LIST}),
    "datetime": _query("datetime", "Accepted for compatibility; the features have no time.",
                       {"type": "string"}),
    "collectionId": {"name": "collectionId", "in": "path", "required": True,
                     "schema": {"type": "string"}},
    "featureId": {"name": "featureId", "in": "path", "required": True,
                  "schema": {"type": "string"}},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _ok(description: str, *types: str) -> dict:
    return {"200": {"description": description, "content": {t: {} for t in types}},
            "400": _EXCEPTION}


def _get(summary: str, op_id: str, params: list, responses: dict, tag: str = "Capabilities") -> dict:
    return {"get": {"summary": summary, "operationId": op_id, "tags": [tag],
                    "parameters": params, "responses": responses}}


def openapi(service: OGCService, base: str) -> dict:
    paths = {
        "/": _get("Landing page", "getLandingPage", [_ref("f"), _ref("lang")],
                  _ok("Links to the API, conformance and collections.", JSON, HTML)),
        "/api": _get("This OpenAPI document", "getAPI", [], _ok("OpenAPI 3.0", OPENAPI)),
        "/conformance": _get("Conformance classes", "getConformance", [_ref("f")],
                             _ok("The conformance classes.", JSON, HTML)),
        "/collections": _get("Feature collections", "getCollections", [_ref("f"), _ref("lang")],
                             _ok("All collections.", JSON, HTML)),
        "/collections/{collectionId}": _get(
            "One collection", "describeCollection",
            [_ref("collectionId"), _ref("f"), _ref("lang")],
            {**_ok("The collection.", JSON, HTML), "404": _EXCEPTION}),
    }
    for cid in service.ids():
        table = service.table(cid)
        filters = [_query(name, f"Equal to (property '{name}').", {"type": table.kinds[name]})
                   for name in service.queryable_names(cid)]
        paths[f"/collections/{cid}/items"] = _get(
            f"Features of {cid}", f"getFeatures_{cid}",
            [_ref(p) for p in ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime")]
            + filters,
            {**_ok("A page of features (GeoJSON FeatureCollection).", GEOJSON, HTML),
             "404": _EXCEPTION}, tag="Data")
        paths[f"/collections/{cid}/items/{{featureId}}"] = _get(
            f"One feature of {cid}", f"getFeature_{cid}",
            [_ref("featureId"), _ref("f"), _ref("crs")],
            {**_ok("The feature (GeoJSON Feature).", GEOJSON, HTML), "404": _EXCEPTION}, tag="Data")
        paths[f"/collections/{cid}/queryables"] = _get(
            f"Queryable properties of {cid}", f"getQueryables_{cid}", [],
            _ok("JSON Schema of the properties usable as filters.", SCHEMA), tag="Data")
    return {
        "openapi": "3.0.3",
        "info": {"title": "Henan SEI Atlas – OGC API Features", "version": "1.0.0",
                 "description": "Layers of the 2012 Henan strategic-emerging-industries plan. "
                                "Every feature carries its basis (plan / sourced / derived / "
                                "schematic / user)."},
        "servers": [{"url": base}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}],
        "paths": paths,
        "components": {
            "parameters": PARAMETERS,
            "schemas": {"exception": {
                "type": "object", "required": ["code"],
                "properties": {"code": {"type": "string"}, "description": {"type": "string"},
                               "message_zh": {"type": "string"}, "message_en": {"type": "string"}}}},
        },
    }
