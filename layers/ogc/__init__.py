"""The OGC API: Features (service, parameters, tables, OpenAPI) and Tiles documents."""
