"""The OpenAPI 3.0 document of the OGC API (``/ogc/api``, the landing page's service-desc).

Each collection gets its own items path, so its queryable properties, its sort keys and its
property names are declared as parameters (clients such as GDAL read the ``limit`` bounds and
the filters from here). Every response names its schema (``components/schemas``).
"""

from __future__ import annotations

from core.openapi import path_param, query, response
from layers.ogc.features import GEOJSON, HTML, JSON, OPENAPI, SCHEMA, OGCService
from layers.ogc.params import CRS_LIST, DEFAULT_LIMIT, MAX_LIMIT

_STRING = {"type": "string"}
_TEXT_ARRAY = {"type": "array", "items": _STRING}


def _ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


_LINK = {"type": "object", "required": ["href", "rel"],
         "properties": {"href": _STRING, "rel": _STRING, "type": _STRING, "title": _STRING}}
_LINKS = {"type": "array", "items": _ref("link")}
_GEOMETRY = {"type": "object", "nullable": True, "required": ["type"],
             "properties": {"type": {"type": "string", "enum": [
                 "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                 "MultiPolygon", "GeometryCollection"]},
                 "coordinates": {"type": "array"}, "geometries": {"type": "array"}}}
SCHEMAS = {
    "link": _LINK,
    "landingPage": {"type": "object", "required": ["links"],
                    "properties": {"title": _STRING, "description": _STRING, "links": _LINKS}},
    "confClasses": {"type": "object", "required": ["conformsTo"],
                    "properties": {"conformsTo": _TEXT_ARRAY}},
    "collection": {"type": "object", "required": ["id", "links"], "properties": {
        "id": _STRING, "title": _STRING, "description": _STRING, "attribution": _STRING,
        "links": _LINKS, "itemType": _STRING, "crs": _TEXT_ARRAY, "storageCrs": _STRING,
        "extent": {"type": "object", "properties": {"spatial": {"type": "object", "properties": {
            "bbox": {"type": "array", "items": {"type": "array", "minItems": 4, "maxItems": 6,
                                                "items": {"type": "number"}}},
            "crs": _STRING}}}}}},
    "collections": {"type": "object", "required": ["links", "collections"],
                    "properties": {"links": _LINKS,
                                   "collections": {"type": "array", "items": _ref("collection")}}},
    "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"],
                       "properties": {"type": {"type": "string", "enum": ["Feature"]},
                                      "id": {"oneOf": [_STRING, {"type": "integer"}]},
                                      "geometry": _GEOMETRY,
                                      "properties": {"type": "object", "nullable": True},
                                      "links": _LINKS}},
    "featureCollectionGeoJSON": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                       "features": {"type": "array", "items": _ref("featureGeoJSON")},
                       "links": _LINKS, "timeStamp": {"type": "string", "format": "date-time"},
                       "numberMatched": {"type": "integer", "minimum": 0},
                       "numberReturned": {"type": "integer", "minimum": 0}}},
    "queryables": {"type": "object", "required": ["$schema", "$id", "type", "properties"],
                   "properties": {"$schema": _STRING, "$id": _STRING,
                                  "type": {"type": "string", "enum": ["object"]},
                                  "title": _STRING, "properties": {"type": "object"},
                                  "additionalProperties": {"type": "boolean"}}},
    "exception": {"type": "object", "required": ["code"],
                  "properties": {"code": _STRING, "description": _STRING,
                                 "message_zh": _STRING, "message_en": _STRING}},
}
_EXCEPTION = response("An OGC API exception, with message_zh / message_en.",
                      {JSON: _ref("exception")})
_PAGE = {"type": "string", "description": "an HTML page"}

PARAMETERS = {
    "f": query("f", {"type": "string", "enum": ["json", "html"]},
               "Output format: json (GeoJSON for features) or html."),
    "lang": query("lang", {"type": "string", "enum": ["zh", "en"]},
                  "Language of titles: zh (default) or en."),
    "limit": query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                             "default": DEFAULT_LIMIT},
                   f"Features per page (default {DEFAULT_LIMIT}; larger values are served as "
                   f"{MAX_LIMIT})."),
    "offset": query("offset", {"type": "integer", "minimum": 0, "default": 0},
                    "Features to skip (the next/prev links carry it)."),
    "bbox": query("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                           "items": {"type": "number"}},
                  "Lower and upper corner (4 numbers) in the axis order of bbox-crs."),
    "bbox-crs": query("bbox-crs", {"type": "string", "format": "uri", "enum": CRS_LIST},
                      "CRS of bbox (default CRS84)."),
    "crs": query("crs", {"type": "string", "format": "uri", "enum": CRS_LIST},
                 "CRS of the returned coordinates (default CRS84); see Content-Crs."),
    "datetime": query("datetime", _STRING,
                      "An RFC 3339 instant, or an interval start/end with '..' for an open end. "
                      "Checked, then every feature matches: the features carry no time."),
    "skipGeometry": query("skipGeometry", {"type": "boolean", "default": False},
                          "true: every feature's geometry is null (properties only)."),
    "collectionId": path_param("collectionId", _STRING),
    "featureId": path_param("featureId", _STRING),
}


def _ok(description: str, schema: dict, mimetype: str = JSON) -> dict:
    return {"200": response(description, {mimetype: schema, HTML: _PAGE}), "400": _EXCEPTION}


def _get(summary: str, op_id: str, params: list, responses: dict, tag: str = "Capabilities") -> dict:
    return {"get": {"summary": summary, "operationId": op_id, "tags": [tag],
                    "parameters": params, "responses": responses}}


def _collection_params(service: OGCService, cid: str) -> tuple[list, dict]:
    """(property filters of ``cid``, its ``sortby`` and ``properties`` parameters)."""
    table = service.table(cid)
    filters = [query(name, {"type": table.kinds[name]}, f"Equal to (property '{name}').")
               for name in service.queryable_names(cid)]
    names = list(table.names)
    sort_keys = [key for name in names for key in (name, f"+{name}", f"-{name}")]
    return filters, {
        "sortby": query("sortby", {"type": "array", "items": {"type": "string", "enum": sort_keys}},
                        "Sort keys: +name (ascending, the default) or -name; missing values last."),
        "properties": query("properties", {"type": "array", "items": {"type": "string",
                                                                      "enum": names}},
                            "Only these properties (comma-separated; empty: none)."),
    }


def openapi(service: OGCService, base: str) -> dict:
    paths = {
        "/": _get("Landing page", "getLandingPage", [_ref("f", "parameters"), _ref("lang", "parameters")],
                  _ok("Links to the API, conformance and collections.", _ref("landingPage"))),
        "/api": _get("This OpenAPI document", "getAPI", [_ref("f", "parameters")],
                     _ok("OpenAPI 3.0", {"type": "object"}, OPENAPI)),
        "/conformance": _get("Conformance classes", "getConformance", [_ref("f", "parameters")],
                             _ok("The conformance classes.", _ref("confClasses"))),
        "/collections": _get("Feature collections", "getCollections",
                             [_ref("f", "parameters"), _ref("lang", "parameters")],
                             _ok("All collections.", _ref("collections"))),
        "/collections/{collectionId}": _get(
            "One collection", "describeCollection",
            [_ref(p, "parameters") for p in ("collectionId", "f", "lang")],
            {**_ok("The collection.", _ref("collection")), "404": _EXCEPTION}),
    }
    for cid in service.ids():
        filters, chosen = _collection_params(service, cid)
        paths[f"/collections/{cid}/items"] = _get(
            f"Features of {cid}", f"getFeatures_{cid}",
            [_ref(p, "parameters") for p in ("f", "lang", "limit", "offset", "bbox", "bbox-crs",
                                             "crs", "datetime", "skipGeometry")]
            + [chosen["sortby"], chosen["properties"]] + filters,
            {**_ok("A page of features.", _ref("featureCollectionGeoJSON"), GEOJSON),
             "404": _EXCEPTION}, tag="Data")
        paths[f"/collections/{cid}/items/{{featureId}}"] = _get(
            f"One feature of {cid}", f"getFeature_{cid}",
            [_ref(p, "parameters") for p in ("featureId", "f", "lang", "crs", "skipGeometry")]
            + [chosen["properties"]],
            {**_ok("The feature.", _ref("featureGeoJSON"), GEOJSON), "404": _EXCEPTION},
            tag="Data")
        paths[f"/collections/{cid}/queryables"] = _get(
            f"Queryable properties of {cid}", f"getQueryables_{cid}",
            [_ref("f", "parameters"), _ref("lang", "parameters")],
            _ok("JSON Schema of the properties usable as filters.", _ref("queryables"), SCHEMA),
            tag="Data")
    return {
        "openapi": "3.0.3",
        "info": {"title": "Henan SEI Atlas – OGC API Features", "version": "1.0.0",
                 "description": "Layers of the 2012 Henan strategic-emerging-industries plan. "
                                "Every feature carries its basis (plan / sourced / derived / "
                                "schematic / user)."},
        "servers": [{"url": base}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}],
        "paths": paths,
        "components": {"parameters": PARAMETERS, "schemas": SCHEMAS},
    }
