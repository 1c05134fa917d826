"""Radio sites (ANFR export or ARCEP "Mon réseau mobile" CSV) -> ``radio_site`` rows.

Each station keeps its systems and bands lists, ``has_5g`` and ``in_service_on`` as the
reader gives them. Its commune is the file's INSEE code when that commune is loaded, else
the loaded commune holding its point; stations outside every loaded commune are skipped
and counted (the ANFR export is national, the database holds one territory). A station
listed twice for one operator in a file is stored once (the first row).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from geodata.sites import SitesRead, read_sites
from rollout.importing import ImportOutcome, LoadStats, check_lengths, run_import
from rollout.models import ImportBatch, RadioSite
from rollout.operators import ensure_operator
from rollout.rows import each_row
from rollout.spatial import CommuneLocator


def load(
    engine: Engine,
    path: str | Path,
    **journal: Any,
) -> ImportOutcome:
    """Import one ANFR zip/folder or ARCEP sites CSV as one batch."""

    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        return _store(session, batch, read_sites(path), Path(path).name)

    return run_import(engine, path, "sites", loader, **journal)


def _store(session: Session, batch: ImportBatch, read: SitesRead, file: str) -> LoadStats:
    frame = read.frame
    check_lengths(frame, RadioSite, ["station_id", "operator_name"], file)
    locator = CommuneLocator(session)
    insee = frame["insee"].astype(object).where(frame["insee"].notna(), None).to_numpy()
    given = np.array([code in locator.known for code in insee], dtype=bool)
    located = locator.locate(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    insee = np.where(given, insee, located)
    inside = np.array([code is not None for code in insee], dtype=bool)
    unknown_given = int((~given & frame["insee"].notna().to_numpy() & inside).sum())
    kept = frame.assign(insee=insee)[inside]
    duplicated = kept.duplicated(["station_id", "operator_code"]).to_numpy()
    kept = kept[~duplicated]
    for code, name in sorted(set(zip(kept["operator_code"], kept["operator_name"], strict=True))):
        ensure_operator(session, str(code), str(name))
    if len(kept):
        session.execute(insert(RadioSite), [
            {
                "station_id": str(r.station_id), "operator_code": str(r.operator_code),
                "operator_name": str(r.operator_name), "insee": r.insee,
                "systems": list(r.systems), "bands": list(r.bands), "has_5g": bool(r.has_5g),
                "in_service_on": r.in_service_on,
                "geom": f"SRID=4326;POINT({r.lon!r} {r.lat!r})",
                "batch_id": batch.id, "source_row": int(r.source_row),
            }
            for r in each_row(kept, index=False)
        ])
    outside = int((~inside).sum())
    warnings = list(read.warnings)
    if outside:
        warnings.append(f"{outside} station(s) hors des communes chargées : ignorée(s)")
    if unknown_given:
        warnings.append(
            f"{unknown_given} station(s) dont le code INSEE n'est pas chargé : commune "
            "retrouvée par la position"
        )
    if duplicated.any():
        warnings.append(
            f"{int(duplicated.sum())} station(s) en double pour un même opérateur : "
            "première ligne gardée"
        )
    return LoadStats(
        rows_read=len(frame), rows_loaded=len(kept), rows_skipped=len(frame) - len(kept),
        warnings=warnings,
        summary={
            "source": read.source, "stations_5g": int(kept["has_5g"].sum()),
            "outside_communes": outside, "duplicates": int(duplicated.sum()),
            "operators": sorted(map(str, set(kept["operator_code"]))),
        },
    )
