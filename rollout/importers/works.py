"""Planned public works (GeoJSON/GeoPackage/CSV, WZDx 4.2, Waze CIFS) -> ``public_work`` rows.

Every work of the file is stored, with a ``public_work_commune`` row for every loaded
commune it touches. Works outside every loaded commune are kept with
``outside_communes`` set and counted as a warning (DESIGN.md: kept and flagged, not
dropped). Times are stored as naive UTC.

Publishable works (issue 17): a work goes out in the open-data package and the WZDx/CIFS
feeds only when ``public_work.publishable`` is set. ``--publishable`` / ``--not-publishable``
decide for a whole file; without them the *own-organisation rule* applies: a work is
publishable when its owner (maître d'ouvrage; for WZDx the data source's organisation or
the feed's publisher; for CIFS the source name) names the metropolis itself — the regular
expression ``ROLLOUT_OWN_ORGANISATION``, by default ``MEL`` or ``Métropole Européenne de
Lille`` as a word, any case. Works of others (utilities, a navigation service's own feed)
are kept for the planners but not republished: MEL may not relicense them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from geodata.works import WorksRead, read_works
from rollout import queries
from rollout.importing import ImportOutcome, LoadStats, check_lengths, run_import
from rollout.models import ImportBatch, PublicWork, PublicWorkCommune
from rollout.rows import each_row
from rollout.works_analysis import assign_communes

FORMATS = ("geojson", "csv", "wzdx", "cifs")
DEFAULT_OWN_ORGANISATION = r"\b(MEL|Métropole Européenne de Lille)\b"


def own_work(owner: object) -> bool:
    """The own-organisation rule: whether ``owner`` names the metropolis (module docstring)."""
    pattern = os.environ.get("ROLLOUT_OWN_ORGANISATION") or DEFAULT_OWN_ORGANISATION
    return isinstance(owner, str) and re.search(pattern, owner, re.IGNORECASE) is not None


def load(
    engine: Engine,
    path: str | Path,
    *,
    fmt: str | None = None,
    columns: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    publishable: bool | None = None,
    **journal: Any,
) -> ImportOutcome:
    """Import one works file as one batch; ``fmt`` is one of :data:`FORMATS`, else guessed.

    ``columns`` maps schema fields to the file's headers (:func:`geodata.works.read_works`);
    ``skip_invalid`` (works are third-party feeds, unlike evidence files) loads the good rows
    and journals the bad ones as rejected rows of the loaded batch.
    ``publishable``: True/False for every work of the file, None for the own-organisation rule.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"format was {fmt!r}; expected one of {list(FORMATS)}")

    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        read = read_works(path, fmt, columns=columns, skip_invalid=skip_invalid)
        return _store(session, batch, read, Path(path).name, publishable)

    return run_import(engine, path, "works", loader, **journal)


def naive_utc(stamp: object) -> object:
    """A UTC timestamp as the naive ``datetime`` both backends store (None for NaT)."""
    if stamp is None or pd.isna(stamp):
        return None
    return pd.Timestamp(stamp).tz_convert("UTC").tz_localize(None).to_pydatetime()


def _flag(value: object) -> bool | None:
    return None if value is None or pd.isna(value) else bool(value)


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _store(
    session: Session, batch: ImportBatch, read: WorksRead, file: str, publishable: bool | None
) -> LoadStats:
    limited = ["source_id", "kind", "owner", "direction", "vehicle_impact"]
    check_lengths(read.frame, PublicWork, limited, file)
    communes = queries.communes(session, geometry=True)
    works = assign_communes(read.frame, communes)
    rows = [
        {
            "source_id": str(w.source_id), "source_format": str(w.source_format),
            "title": str(w.title), "kind": str(w.kind),
            "owner": None if pd.isna(w.owner) else str(w.owner),
            "start_at": naive_utc(w.start_at), "end_at": naive_utc(w.end_at),
            "start_verified": _flag(w.start_verified), "end_verified": _flag(w.end_verified),
            "types_of_work": list(w.types_of_work), "outside_communes": bool(w.outside),
            "publishable": own_work(w.owner) if publishable is None else publishable,
            "road_names": w.road_names, "description": _text(w.description),
            "direction": _text(w.direction), "vehicle_impact": _text(w.vehicle_impact),
            "geom": f"SRID=4326;{w.geometry.wkt}", "batch_id": batch.id,
            "source_row": int(w.source_row),
        }
        for w in each_row(works, index=False)
    ]
    ids = []
    if rows:
        statement = insert(PublicWork).returning(PublicWork.id, sort_by_parameter_order=True)
        ids = list(session.scalars(statement, rows))
    links = [
        {"work_id": work_id, "insee": code}
        for work_id, codes in zip(ids, works["insee"], strict=True)
        for code in codes
    ]
    if links:
        session.execute(insert(PublicWorkCommune), links)
    outside = int(works["outside"].sum())
    warnings = list(read.warnings)
    if outside:
        warnings.append(
            f"{outside} chantier(s) hors de toutes les communes chargées : "
            "conservé(s) et signalé(s)"
        )
    by_kind = works["kind"].astype(str).value_counts().sort_index()
    rejected_rows = len({p.row for p in read.rejected})
    published = sum(bool(r["publishable"]) for r in rows)
    return LoadStats(
        rows_read=len(works) + rejected_rows, rows_loaded=len(works), rows_skipped=0,
        warnings=warnings, rejected=read.rejected,
        summary={
            "format": read.source_format, "outside_communes": outside,
            "commune_links": len(links), "kinds": {str(k): int(v) for k, v in by_kind.items()},
            "publishable": published,
            **({"feed": read.feed} if read.feed else {}),
        },
    )
