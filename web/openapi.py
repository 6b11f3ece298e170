"""OpenAPI 3.0 description of the JSON API under ``/api`` (served at ``/api/openapi.json``).

The OGC API – Features has its own description at ``/ogc/api``. This one covers the layers,
the plan, the export, the quota ledger and the actual figures; the test suite fuzzes the app against it
(tests/test_fuzz_api.py, schemathesis), so a route that answers something this file does not
allow — above all a 500 — fails the build.
"""

from __future__ import annotations

from core.openapi import path_param, query, response
from geo.vector_write import DOWNLOAD_EPSG, FORMATS
from layers.print.sheet import FORMATS as SHEET_FORMATS
from layers.print.sheet import ORIENTATIONS, PAPERS_MM, THEMES
from layers.tiles.service import TILE_LAYERS
from layers.web.features import MAX_RESULTS
from parks import places
from parks.catalog import BOUNDARY_LEVELS, LAYERS

ERROR = {"type": "object", "required": ["error", "message_zh", "message_en"],
         "properties": {"error": {"type": "string"}, "message_zh": {"type": "string"},
                        "message_en": {"type": "string"}}}
FEATURES = {"type": "object", "required": ["type", "features"],
            "properties": {"type": {"enum": ["FeatureCollection"]}, "features": {"type": "array"}}}


def _json(schema: dict, description: str) -> dict:
    return response(description, {"application/json": schema})


def _errors(*codes: int) -> dict:
    text = {400: "bad parameter", 401: "not signed in", 403: "role lacking", 404: "not found",
            409: "refused by the ledger", 413: "upload too large", 429: "too many requests"}
    return {str(c): _json({"$ref": "#/components/schemas/Error"}, text[c]) for c in codes}


_OBJECT = {"type": "object"}
_YEAR = {"type": "string", "pattern": r"^(19|20)\d\d$"}
_REASON_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}}
_SIGNED_IN = [{"bearer": []}, {"session": []}]
_FILE = {"application/octet-stream": {}, "image/png": {}, "image/svg+xml": {},
         "application/pdf": {}, "application/zip": {}}


def _layers_paths() -> dict:
    return {
        "/api/layers": {"get": {"summary": "The layers, their titles and the data version",
                                "responses": {"200": _json(_OBJECT, "layer list")}}},
        "/api/layers/{name}": {"get": {
            "summary": "A layer as GeoJSON (EPSG:4326), or as a file to download (format, crs)",
            "parameters": [
                path_param("name", {"type": "string", "enum": list(LAYERS)}),
                query("level", {"type": "string", "enum": list(BOUNDARY_LEVELS)}, "boundaries only"),
                query("tolerance", {"type": "number", "minimum": 0, "maximum": 5000}, "metres"),
                query("format", {"type": "string", "enum": list(FORMATS)}),
                query("crs", {"type": "string", "enum": [str(c) for c in DOWNLOAD_EPSG]}),
            ],
            "responses": {"200": {"description": "GeoJSON, or the file",
                                  "content": {"application/geo+json": {"schema": FEATURES}, **_FILE,
                                              "application/geopackage+sqlite3": {}, "text/csv": {},
                                              "application/vnd.google-earth.kml+xml": {}}},
                          "304": {"description": "not modified (ETag)"}, **_errors(400, 404)}}},
        "/api/plan": {"get": {"summary": "The plan's targets, each with its section",
                              "responses": {"200": _json(_OBJECT, "targets")}}},
        "/api/places": {"get": {
            "summary": "Henan's cities, counties and towns matching q (Chinese, pinyin or English)",
            "parameters": [{**query("q", {"type": "string", "minLength": 1}, "a place name"),
                            "required": True},
                           query("limit", {"type": "integer", "minimum": 1, "maximum": places.MAX_RESULTS}),
                           query("lang", {"type": "string", "enum": ["zh", "en"]})],
            "responses": {"200": _json(_OBJECT, "the places, best first"), **_errors(400)}}},
    }


def _tile_paths() -> dict:
    thematic = [info.name for info in LAYERS.values() if info.name != "boundaries"]
    return {
        "/api/features/{layer}": {"get": {
            "summary": "Search and filter a layer's features (the map's search box for tiled layers)",
            "parameters": [path_param("layer", {"type": "string", "enum": thematic}),
                           query("q", {"type": "string"}, "part of a Chinese or English name"),
                           query("city", {"type": "string"}), query("industry", {"type": "string"}),
                           query("sector", {"type": "string"}),
                           query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS})],
            "responses": {"200": _json(_OBJECT, "total and the first features"), **_errors(400, 404)}}},
        "/api/features/{layer}/{fid}": {"get": {
            "summary": "One feature with all its attributes and its popup (HTML)",
            "parameters": [path_param("layer", {"type": "string", "enum": thematic}),
                           path_param("fid", {"type": "string"})],
            "responses": {"200": response("the feature", {"application/geo+json": {"schema": _OBJECT}}),
                          **_errors(404)}}},
        "/api/jobs/{job_id}": {"get": {
            "summary": "A background job — a tile build, or a survey or supply import (land staff): "
                       "state, steps done of total, current step; a failed import's bilingual error",
            "parameters": [path_param("job_id", {"type": "string", "pattern": r"^(tiles\.(" + "|".join(
                TILE_LAYERS) + r")\..+|(survey|supply)\.[0-9a-f]{16})$"})],
            "responses": {"200": _json(_OBJECT, "the job"), **_errors(401, 403, 404)}}},
    }


def _export_paths() -> dict:
    sheet = [query("scope", {"type": "string"}, "province | city:<名> | park:<id> | cluster:<id>"),
             query("layers", {"type": "string"}), query("format", {"type": "string",
                                                                      "enum": list(SHEET_FORMATS)}),
             query("paper", {"type": "string", "enum": list(PAPERS_MM)}),
             query("orientation", {"type": "string", "enum": list(ORIENTATIONS)}),
             query("dpi", {"type": "integer", "minimum": 72, "maximum": 300}),
             query("lang", {"type": "string", "enum": ["zh", "en"]}),
             query("theme", {"type": "string", "enum": list(THEMES)}),
             query("title", {"type": "string", "maxLength": 60})]
    return {
        "/api/export": {"get": {"summary": "One print sheet (PNG, SVG or PDF)", "parameters": sheet,
                                "responses": {"200": {"description": "the sheet", "content": _FILE},
                                              **_errors(400, 404)}}},
        "/api/export/pack": {"get": {
            "summary": "A pitch pack: one sheet per park (PDF or zip of PNGs)",
            "parameters": [query("parks", {"type": "string"}, "all | park-01,park-02"),
                           query("format", {"type": "string", "enum": ["pdf", "zip"]}), *sheet[3:7]],
            "responses": {"200": {"description": "the pack", "content": _FILE}, **_errors(400, 404)}}},
    }


def op(summary: str, responses: dict, **more) -> dict:
    """An operation for signed-in users (API token or browser session)."""
    return {"summary": summary, "security": _SIGNED_IN, "responses": responses, **more}


def _quota_paths() -> dict:
    return {
        "/api/quota/ledger": {"get": op("Every area's quota, reserved, approved and remaining "
                                        "(500 areas a page: page, pages, total)",
                                        {"200": _json(_OBJECT, "ledger"), **_errors(400, 401)},
                                        parameters=[query("year", _YEAR),
                                                    query("page", {"type": "integer", "minimum": 1})])},
        "/api/quota/check": {"post": op(
            "Check an uploaded parcel file against parks, zones and the ledger",
            {"201": _json(_OBJECT, "the stored check"), **_errors(400, 401, 404, 413, 429)},
            requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"},
                               "crs": {"type": "string"}, "encoding": {"type": "string"},
                               "datum": {"type": "string", "enum": ["gcj02", "bd09"]},
                               "park": {"type": "string"}, "year": _YEAR}}}}})},
        "/api/quota/checks/{check_id}": {"get": op(
            "A stored check", {"200": _json(_OBJECT, "the check"), **_errors(401, 404)},
            parameters=[path_param("check_id", {"type": "integer", "minimum": 0})])},
        "/api/quota/reserve": {"post": op(
            "Reserve a parcel of a stored check (land staff)",
            {"201": _json(_OBJECT, "the allocation"), **_errors(400, 401, 403, 404, 409)},
            requestBody={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["check_id", "parcel_no", "reason"],
                "properties": {"check_id": {"type": "integer"}, "parcel_no": {"type": "integer"},
                               "reason": {"type": "string"}}}}}})},
        "/api/quota/allocations/{alloc_id}/{action}": {"post": op(
            "Approve or release an allocation (land staff)",
            {"200": _json(_OBJECT, "the allocation"), **_errors(400, 401, 403, 404, 409)},
            parameters=[path_param("alloc_id", {"type": "integer", "minimum": 0}),
                        path_param("action", {"type": "string", "enum": ["approve", "release"]})],
            requestBody=_REASON_BODY)},
        "/api/quota/areas/{area_id}/quota": {"post": op(
            "Enter an area's official quota (land staff)",
            {"200": _json(_OBJECT, "the quota"), **_errors(400, 401, 403, 404, 409)},
            parameters=[path_param("area_id", {"type": "string"})],
            requestBody={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"],
                "properties": {"quota_ha": {"type": "number"}, "quota_mu": {"type": "number"},
                               "quota_m2": {"type": "number"}, "year": _YEAR,
                               "reason": {"type": "string"}}}}}})},
        "/api/quota/audit": {"get": op(
            "The latest audit lines (land staff)", {"200": _json(_OBJECT, "entries"), **_errors(401, 403)},
            parameters=[query("action", {"type": "string"}), query("actor", {"type": "string"}),
                        query("target", {"type": "string"})])},
    }


def _actuals_paths() -> dict:
    figure = {"type": "object", "required": ["area", "year", "metric", "value", "source"],
              "properties": {"area": {"type": "string", "description": "province, a park, zone or "
                                      "cluster id, or a city (郑州市); names work too"},
                             "year": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                             "metric": {"type": "string", "description": "a key of data/sources/metrics.csv"},
                             "value": {"oneOf": [{"type": "number"}, {"type": "string"}]},
                             "source": {"type": "string"},
                             "basis": {"type": "string", "enum": ["sourced", "measured"]},
                             "reason": {"type": "string"}}}
    table = {"type": "object", "required": ["file"],
             "properties": {"file": {"type": "string", "format": "binary"}, "metric": {"type": "string"},
                            "source": {"type": "string"}}}
    return {
        "/api/actuals": {
            "get": op("Recorded actual figures, with the metrics that may be recorded",
                      {"200": _json(_OBJECT, "metrics and figures"), **_errors(400, 401)},
                      parameters=[query("area", {"type": "string"}), query("year", _YEAR),
                                  query("metric", {"type": "string"})]),
            "post": op("Record one figure (planners and admins); replaces the area's figure of that "
                       "year and metric, the audit trail keeps the old one",
                       {"201": _json(_OBJECT, "the stored figure and the one it replaced"),
                        **_errors(400, 401, 403)},
                       requestBody={"required": True, "content": {"application/json": {"schema": figure}}})},
        "/api/actuals/import": {"post": op(
            "Import a CSV or XLSX table of figures, wide or long (planners and admins); all or nothing",
            {"201": _json(_OBJECT, "counts, skipped rows and the stored figures"),
             **_errors(400, 401, 403, 413)},
            requestBody={"required": True, "content": {"multipart/form-data": {"schema": table}}})},
    }


def _survey_paths() -> dict:
    common = {"file": {"type": "string", "format": "binary"}, "crs": {"type": "string"},
              "encoding": {"type": "string"}, "layer": {"type": "string"}, "reason": {"type": "string"}}

    def upload(summary: str, fields: dict) -> dict:
        return op(summary, {"202": _json(_OBJECT, "the import job (Location: /api/jobs/<id>)"),
                            **_errors(400, 401, 403, 413, 429)},
                  requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                      "type": "object", "required": ["file"], "properties": {**common, **fields}}}}})

    return {
        "/api/survey": {
            "get": op("The survey years stored and the supply version served (land staff)",
                      {"200": _json(_OBJECT, "years and supply"), **_errors(401, 403)}),
            "post": upload("Import a land-use survey (三调 DLTB: GPKG, zipped SHP or FileGDB) as a "
                           "background job (land staff)", {"year": _YEAR})},
        "/api/supply": {"post": upload(
            "Import land-supply records (供地) as a new version, as a background job (land staff)",
            {"mapping": {"type": "string"},
             "area_unit": {"type": "string", "enum": ["ha", "mu", "m2", "km2"]}})},
        "/api/indicators": {"get": op(
            "Intensive-use indicators (《开发区土地集约利用评价规程》) of a park, zone or city from the "
            "loaded survey and supply records, each with formula, inputs, data date and basis; every "
            "park, zone and city without `area`. 404 when no survey is loaded",
            {"200": _json(_OBJECT, "the area's indicators, or `areas`"), **_errors(400, 404)},
            parameters=[query("area", {"type": "string"}, "a park or zone id, or a city (郑州市); "
                              "names work too"),
                        query("year", {"type": "string"}, "a loaded survey year (default: the latest)")])},
    }


def _every_operation_may_refuse(paths: dict) -> dict:
    """Any request may be a 400: a NUL character in any field is refused before the view
    (:mod:`web.security`)."""
    for operations in paths.values():
        for op in operations.values():
            op["responses"].setdefault("400", _errors(400)["400"])
    return paths


def openapi(server_url: str = "/") -> dict:
    """The OpenAPI 3.0 document; ``server_url`` is where the app is mounted."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Henan SEI Atlas JSON API", "version": "1",
                 "description": "Layers, plan targets, print export and the land-use quota ledger. "
                                "Errors carry `error`, `message_zh` and `message_en`. "
                                "OGC API – Features: see /ogc/api."},
        "servers": [{"url": server_url}],
        "paths": _every_operation_may_refuse({
            **_layers_paths(), **_tile_paths(), **_export_paths(), **_quota_paths(), **_actuals_paths(),
            **_survey_paths(),
            "/healthz": {"get": {"summary": "Health of the app and its database",
                                 "responses": {"200": _json(_OBJECT, "healthy"),
                                               "503": _json(_OBJECT, "unhealthy")}}}}),
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "an API token (`flask users token <name>`)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "browser session; writes also need X-CSRFToken"}}},
    }
