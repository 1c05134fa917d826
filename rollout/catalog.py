"""The open-data package's two descriptions: Frictionless ``datapackage.json`` and DCAT-AP.

- ``datapackage.json``: one tabular resource per CSV with its Table Schema (types, units in
  the descriptions, ``required``/``minimum``/``enum`` constraints, primary and foreign keys),
  and the GeoJSON files and the GeoPackage as further resources; licence Licence Ouverte 2.0.
- ``catalog.jsonld``: a ``dcat:Catalog`` in JSON-LD, one ``dcat:Dataset`` per table (titles
  and descriptions in French and English, publisher, licence, ``dct:modified`` = the
  publication date, ``dct:temporal`` from the table's own dates, ``dct:spatial`` = the INSEE
  communes, keywords) with one ``dcat:Distribution`` per file (download URL, IANA media type,
  size, sha256). Datasets holding rows from synthetic batches say so in their description and
  with the keyword ``données synthétiques``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pandas as pd

from rollout.feeds import publisher
from rollout.open_data_schema import GEOPACKAGE, RESTRICTED_LAYERS, TABLES, Table

LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
LICENCE_TITLE = "Licence Ouverte / Open Licence version 2.0"
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".geojson": "application/geo+json",
    ".gpkg": "application/geopackage+sqlite3",
    ".json": "application/json",
}
INSEE_COMMUNE = "http://id.insee.fr/geo/commune/"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": "http://spdx.org/rdf/terms#",
}
SYNTHETIC_NOTE = {
    "fr": " Contient des données synthétiques (démonstration) : colonne synthetic = true.",
    "en": " Contains synthetic (demonstration) data: column synthetic = true.",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _schema(spec: Table) -> dict:
    fields = []
    for item in spec.fields:
        field: dict = {"name": item.name, "type": item.type, "description": item.description
                       + (f" (unité : {item.unit})" if item.unit else "")}
        if item.type in ("date",):
            field["format"] = "%Y-%m-%d"
        if item.type == "datetime":
            field["format"] = "%Y-%m-%dT%H:%M:%SZ"
        constraints: dict = {}
        if item.required:
            constraints["required"] = True
        if item.minimum is not None:
            constraints["minimum"] = item.minimum
        if item.enum:
            constraints["enum"] = list(item.enum)
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    schema: dict = {"fields": fields, "missingValues": [""]}
    if spec.primary_key:
        schema["primaryKey"] = list(spec.primary_key)
    if spec.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": own, "reference": {"resource": table, "fields": theirs}}
            for own, table, theirs in spec.foreign_keys
        ]
    return schema


def datapackage(package, written: dict[str, Path]) -> dict:
    """The Frictionless Data Package descriptor of the files ``written`` (name -> path)."""
    resources = []
    for spec in TABLES:
        path = written[f"{spec.name}.csv"]
        resources.append({
            "name": spec.name, "path": path.name, "title": spec.title_fr,
            "description": spec.description_fr, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": path.stat().st_size, "hash": f"sha256:{_sha256(path)}",
            "dialect": {"delimiter": ",", "header": True},
            "schema": _schema(spec),
        })
    for path in written.values():
        if path.suffix in (".geojson", ".gpkg"):
            resources.append({
                "name": path.name.replace(".", "-").lower(), "path": path.name,
                "format": path.suffix[1:], "mediatype": MEDIA_TYPES[path.suffix],
                "bytes": path.stat().st_size, "hash": f"sha256:{_sha256(path)}",
            })
    return {
        "name": "rollout-open-data",
        "title": "Déploiement de la fibre et de la 5G, engagements des opérateurs",
        "description": "Données ouvertes du suivi du déploiement FTTH et 5G par commune, à la "
                       f"date du {package.as_of.isoformat()}.",
        "version": package.as_of.isoformat(),
        "created": f"{package.as_of.isoformat()}T00:00:00Z",
        "licenses": [{"name": "etalab-2.0", "path": LICENCE_URL, "title": LICENCE_TITLE}],
        "contributors": [{"title": publisher(), "role": "publisher"}],
        "resources": resources,
    }


def _texts(fr: str, en: str) -> list[dict]:
    return [{"@value": fr, "@language": "fr"}, {"@value": en, "@language": "en"}]


def _date(value: dt.date) -> dict:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _temporal(spec: Table, frame: pd.DataFrame, as_of: dt.date) -> dict | None:
    if spec.temporal is None or frame.empty or spec.temporal not in frame:
        dates = [as_of]
    else:
        dates = [pd.Timestamp(v).date() for v in frame[spec.temporal].dropna()]
    if not dates:
        return None
    return {"@type": "dct:PeriodOfTime", "dcat:startDate": _date(min(dates)),
            "dcat:endDate": _date(max(dates))}


def _communes(spec: Table, frame: pd.DataFrame, package) -> list[str]:
    for column in ("insee", "commune_insee"):
        if column in frame and len(frame):
            codes = set()
            for value in frame[column].dropna():
                codes.update(str(value).split("; "))
            return sorted(codes)
    return sorted(package.frames["communes"]["insee"])


def _distribution(path: Path, base_url: str, title: str) -> dict:
    return {
        "@id": f"{base_url}{path.name}#distribution", "@type": "dcat:Distribution",
        "dct:title": title, "dcat:downloadURL": {"@id": base_url + path.name},
        "dcat:accessURL": {"@id": base_url + path.name},
        "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/"
                                  + MEDIA_TYPES[path.suffix]},
        "dct:format": path.suffix[1:].upper(),
        "dct:license": {"@id": LICENCE_URL},
        "dcat:byteSize": {"@value": str(path.stat().st_size), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": {
            "@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
            "spdx:checksumValue": _sha256(path)},
    }


def catalog(package, written: dict[str, Path], base_url: str) -> dict:
    """The DCAT-AP catalogue (JSON-LD) of the files ``written``, downloadable at ``base_url``."""
    agent = {"@id": os.environ.get("ROLLOUT_PUBLISHER_URI") or base_url + "#publisher",
             "@type": "foaf:Agent", "foaf:name": publisher()}
    licence = {"@id": LICENCE_URL, "@type": "dct:LicenseDocument", "dct:title": LICENCE_TITLE}
    datasets = []
    for spec in TABLES:
        frame = package.frames[spec.name]
        synthetic = "synthetic" in frame and bool(frame["synthetic"].astype(bool).any())
        names = [f"{spec.name}.csv", f"{spec.name}.geojson"]
        if spec.spatial and len(frame):
            names.append(GEOPACKAGE)  # one GeoPackage holds every spatial table
        files = [written[n] for n in names if n in written]
        dataset = {
            "@id": f"{base_url}#{spec.name}", "@type": "dcat:Dataset",
            "dct:identifier": spec.name,
            "dct:title": _texts(spec.title_fr, spec.title_en),
            "dct:description": _texts(spec.description_fr + (SYNTHETIC_NOTE["fr"] if synthetic
                                                             else ""),
                                      spec.description_en + (SYNTHETIC_NOTE["en"] if synthetic
                                                             else "")),
            "dct:publisher": agent, "dct:license": licence,
            "dct:modified": _date(package.as_of), "dct:issued": _date(package.as_of),
            "dct:spatial": [{"@id": INSEE_COMMUNE + code, "dct:identifier": code}
                            for code in _communes(spec, frame, package)],
            "dcat:keyword": ["fibre", "FTTH", "5G", "Métropole Européenne de Lille"]
            + (["données synthétiques"] if synthetic else []),
            "dcat:distribution": [_distribution(p, base_url, spec.title_fr) for p in files],
        }
        temporal = _temporal(spec, frame, package.as_of)
        if temporal:
            dataset["dct:temporal"] = temporal
        datasets.append(dataset)
    for name, (fr, en) in RESTRICTED_LAYERS.items():
        if f"{name}.geojson" in written:
            datasets.append({
                "@id": f"{base_url}#{name}", "@type": "dcat:Dataset", "dct:identifier": name,
                "dct:title": _texts(fr, en), "dct:description": _texts(fr, en),
                "dct:publisher": agent, "dct:license": licence,
                "dct:modified": _date(package.as_of),
                "dcat:distribution": [_distribution(written[f"{name}.geojson"], base_url, fr)],
            })
    return {
        "@context": CONTEXT, "@id": base_url + "catalog.jsonld", "@type": "dcat:Catalog",
        "dct:title": _texts("Déploiement de la fibre et de la 5G — données ouvertes",
                            "Fibre and 5G rollout — open data"),
        "dct:description": _texts(
            "Suivi par commune du déploiement FTTH et 5G face aux engagements des opérateurs, "
            "et travaux publics prévus.",
            "Per-commune tracking of FTTH and 5G rollout against the operators' commitments, "
            "and planned public works."),
        "dct:publisher": agent, "dct:license": licence,
        "dct:language": [{"@id": "http://publications.europa.eu/resource/authority/language/FRA"},
                         {"@id": "http://publications.europa.eu/resource/authority/language/ENG"}],
        "dct:modified": _date(package.as_of),
        "dcat:dataset": datasets,
    }
