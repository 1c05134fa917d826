"""Communes: new boundaries are versioned, never silently overwritten."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from geodata.communes import read_communes
from rollout.importing import ImportOutcome, LoadStats, check_lengths, run_import
from rollout.models import SRID, Commune, CommuneBoundary, ImportBatch
from rollout.rows import each_row

# Boundaries equal within ~1 cm are the same boundary (coordinate rounding across exports).
SAME_BOUNDARY_TOLERANCE_DEG = 1e-7


def load(
    engine: Engine,
    path: str | Path,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str | None = None,
    **journal: Any,
) -> ImportOutcome:
    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        # Read inside the import so bad input is journaled like any refused batch.
        read = read_communes(path, id_field=id_field, name_field=name_field, layer=layer)
        return _store(session, batch, read)

    return run_import(
        engine, path, "communes", loader, **journal
    )


def _store(session: Session, batch: ImportBatch, read) -> LoadStats:
    check_lengths(read.frame, Commune, ["name"], batch.file_name)
    existing = {c.insee: c for c in session.scalars(select(Commune))}
    created = versioned = unchanged = 0
    for row in each_row(read.frame, index=False):
        population = None if pd.isna(row.population) else int(row.population)
        epci = None if pd.isna(row.epci_siren) else str(row.epci_siren)
        geometry = from_shape(row.geometry, srid=SRID)
        current = existing.get(row.insee)
        if current is None:
            session.add(Commune(
                insee=row.insee, name=row.name, epci_siren=epci, population=population,
                boundary_version=1, geom=geometry, batch_id=batch.id, source_row=row.source_row,
            ))
            session.flush()
            session.add(CommuneBoundary(
                insee=row.insee, version=1, name=row.name, population=population,
                geom=geometry, batch_id=batch.id, source_row=row.source_row,
            ))
            created += 1
            continue
        same_shape = shapely.equals_exact(
            to_shape(current.geom), row.geometry, tolerance=SAME_BOUNDARY_TOLERANCE_DEG
        )
        if same_shape and current.name == row.name and current.population == population:
            unchanged += 1
            continue
        version = current.boundary_version + 1
        session.add(CommuneBoundary(
            insee=row.insee, version=version, name=row.name, population=population,
            geom=geometry, batch_id=batch.id, source_row=row.source_row,
        ))
        current.name = row.name
        current.population = population
        current.epci_siren = epci or current.epci_siren
        current.geom = geometry
        current.boundary_version = version
        current.batch_id = batch.id
        current.source_row = row.source_row
        versioned += 1
    warnings = list(read.warnings)
    if read.repaired:
        warnings.append(f"{read.repaired} géométrie(s) invalide(s) réparée(s)")
    return LoadStats(
        rows_read=len(read.frame),
        rows_loaded=created + versioned,
        rows_skipped=unchanged,
        warnings=warnings,
        summary={
            "created": created, "new_versions": versioned, "unchanged": unchanged,
            "repaired": read.repaired, "source_crs": read.source_crs,
            "id_field": read.id_field, "name_field": read.name_field,
        },
    )

