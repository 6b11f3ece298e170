"""The pieces both OpenAPI documents are built from (``web.openapi`` for /api,
``layers.ogc.openapi`` for /ogc): a query or path parameter and a response."""

from __future__ import annotations


def query(name: str, schema: dict, description: str = "") -> dict:
    """An optional query parameter; arrays are comma-separated (``bbox=1,2,3,4``)."""
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, "style": "form", "explode": False}


def path_param(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def response(description: str, schemas: dict[str, dict]) -> dict:
    """A response whose body, per media type, follows the given schema."""
    return {"description": description,
            "content": {mimetype: {"schema": schema} for mimetype, schema in schemas.items()}}
