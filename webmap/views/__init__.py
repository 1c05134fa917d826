"""Blueprints: ``pages`` (HTML), ``api`` (JSON/GeoJSON, OpenAPI) and ``export`` (GeoPackage)."""
