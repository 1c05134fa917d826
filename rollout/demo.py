"""The demo database: real MEL communes and ARCEP 2017-2018 figures, synthetic after.

Real inputs ship in ``rollout/demo_data/real`` (see its SOURCES.md). The synthetic
continuation is written as ordinary ARCEP-layout files (seeded, byte-for-byte
deterministic) and loaded through the same importers with ``synthetic=True``, so every
synthetic figure is marked in the database and keeps an evidence chain like a real one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from rollout.rows import each_row

REAL = Path(__file__).with_name("demo_data") / "real"
COMMUNES_FILE = REAL / "mel_communes.geojson"
ARCEP_INFO_FILE = REAL / "arcep_obs_2018t1_communes_info_dep59.csv"
ARCEP_FTTH_FILE = REAL / "arcep_obs_2018t1_ftth_communes_dep59.csv"

SEED = 20180331
LAST_REAL_QUARTER = (2018, 1)
# Synthetic ARCEP publications (year, quarter): one a year, then the latest quarter.
PUBLICATIONS = [(2019, 4), (2020, 4), (2021, 4), (2022, 4), (2023, 4), (2024, 4), (2025, 4),
                (2026, 3)]
# The 13 communes Covage took over from SFR in 2016 (FORMATS.md §4): deployed later.
COVAGE_COMMUNES = {
    "59017", "59098", "59143", "59152", "59173", "59202", "59252", "59279", "59317", "59352",
    "59482", "59643", "59656",
}


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def quarters_between(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """Quarters strictly after ``start`` up to and including ``end``."""
    out = []
    year, quarter = start
    while (year, quarter) < end:
        quarter += 1
        if quarter == 5:
            year, quarter = year + 1, 1
        out.append((year, quarter))
    return out


def _real_baseline() -> pd.DataFrame:
    """Per MEL commune: 2018 INSEE premises and T1 2018 connectable, read by the ARCEP reader."""
    import json

    from geodata.arcep import read_arcep

    mel = json.loads(COMMUNES_FILE.read_text(encoding="utf-8"))
    names = {f["properties"]["code_insee"]: f["properties"]["name"] for f in mel["features"]}
    info = read_arcep(ARCEP_INFO_FILE).communes
    info = info[info["insee"].isin(names)]
    progress = read_arcep(ARCEP_FTTH_FILE).progress
    latest = progress[progress["observed_on"] == progress["observed_on"].max()]
    base = pd.DataFrame({
        "insee": info["insee"].astype(str),
        "logements": info["logements"].astype(int),
        "etablissements": info["etablissements"].astype(int),
        "committed": info["committed_operators"].astype(str),
        "oi": info["oi"].astype(str),
        "epci": info["epci_siren"],
    })
    base["name"] = base["insee"].map(names)
    base["premises_2018"] = base["logements"] + base["etablissements"]
    connectable = latest.set_index("insee")["connectable"]
    base["connectable_2018"] = base["insee"].map(connectable).fillna(0).astype(int)
    return base.sort_values("insee").reset_index(drop=True)


def synthetic_trajectories(base: pd.DataFrame) -> pd.DataFrame:
    """Seeded per-commune S-curves from the real T1 2018 value up to T3 2026.

    Each commune gets a final share (0.93-1.02; later and lower for the Covage communes and
    a few laggards), a midpoint year and a steepness. The curve is a logistic rescaled so it
    starts exactly at the real T1 2018 value; premises grow 0.4-1.2 % a year.
    """
    rng = np.random.default_rng(SEED)
    quarters = quarters_between(LAST_REAL_QUARTER, PUBLICATIONS[-1])
    t0 = 2018.25
    rows = []
    for commune in each_row(base):
        covage = commune.insee in COVAGE_COMMUNES
        laggard = rng.random() < 0.12
        final = rng.uniform(0.93, 1.02)
        midpoint = rng.uniform(2019.0, 2021.5)
        if covage:
            final, midpoint = rng.uniform(0.80, 0.97), rng.uniform(2021.5, 2023.5)
        elif laggard:
            final, midpoint = rng.uniform(0.82, 0.95), rng.uniform(2021.0, 2023.0)
        scale = rng.uniform(0.45, 1.1)
        growth = rng.uniform(0.004, 0.012)
        start_share = commune.connectable_2018 / commune.premises_2018
        final = max(final, start_share)

        def logistic(t: float, m: float = midpoint, s: float = scale) -> float:
            return 1.0 / (1.0 + np.exp(-(t - m) / s))

        g0 = logistic(t0)
        previous = commune.connectable_2018
        for year, quarter in quarters:
            t = year + quarter / 4.0
            premises = commune.premises_2018 * (1 + growth) ** (t - t0)
            progress = (logistic(t) - g0) / (1.0 - g0)
            share = start_share + (final - start_share) * progress
            value = max(previous, int(round(share * premises)))
            rows.append((commune.insee, year, quarter, value, int(round(premises))))
            previous = value
    return pd.DataFrame(rows, columns=["insee", "year", "quarter", "connectable", "premises"])


def write_publication(
    base: pd.DataFrame, trajectories: pd.DataFrame, publication: tuple[int, int], folder: Path
) -> Path:
    """Write one synthetic ARCEP 2020+-layout CSV (4 title rows, quarters as columns)."""
    year, quarter = publication
    label = f"T{quarter} {year}"
    upto = trajectories[
        trajectories[["year", "quarter"]].apply(tuple, axis=1) <= publication
    ]
    wide = upto.pivot(index="insee", columns=["year", "quarter"], values="connectable")
    estimate = upto[(upto["year"] == year) & (upto["quarter"] == quarter)].set_index("insee")
    quarter_columns = list(wide.columns)
    header = [
        "Code commune", "Nom commune", "Code département", "Code région", "Siren EPCI",
        "EPCI AMII", "Logements", "Établissements", f"Meilleure estimation des locaux {label}",
        f"Source retenue {label}", f"Nombre locaux IPE {label} (somme tous OI)",
        "Engagements L. 33-13 et AMEL", "Intentions privées hors engagement L. 33-13",
        f"OI {label}", "Commune rurale", "Commune de montagne", "Zones très denses",
        *[f"T{q} {y}" for y, q in quarter_columns],
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Réseaux en fibre optique jusqu'à l'abonné (FttH) — DONNÉES SYNTHÉTIQUES "
                     "(démonstration rollout)"])
    writer.writerow(
        ["Déploiement par commune — continuation synthétique des données Arcep T1 2018"]
    )
    writer.writerow([])
    writer.writerow([])
    writer.writerow(header)
    for commune in each_row(base):
        premises = int(estimate.loc[commune.insee, "premises"])
        writer.writerow([
            commune.insee, commune.name, "59", "32", "200093201", "-",
            commune.logements, commune.etablissements, premises, "IPE", premises,
            commune.committed or "-", "-", commune.oi,
            "-", "-", "-",
            *[int(wide.loc[commune.insee, col]) for col in quarter_columns],
        ])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{year}t{quarter}-obs-thd-synthetique-mel.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def demo_inputs_folder(engine: Engine) -> Path:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    root = Path(database).resolve().parent if database else Path.cwd()
    return root / "demo-inputs"


def _load_commitments(
    engine: Engine, base: pd.DataFrame, trajectories: pd.DataFrame, folder: Path
) -> Iterator[str]:
    from rollout import demo_commitments, queries
    from rollout.db import session_scope
    from rollout.importers import commitments, premises

    rows = demo_commitments.commitment_rows(base, COVAGE_COMMUNES)
    path = demo_commitments.write_commitments(rows, folder)
    yield commitments.load(engine, path, synthetic=True).describe()
    with session_scope(engine) as session:
        shapes = queries.communes(session, geometry=True)
    orange = sorted(base.loc[base["committed"] == "FRTE", "insee"])
    for ipe in demo_commitments.write_ipe_files(trajectories, shapes, orange, folder):
        yield premises.load(engine, ipe, synthetic=True).describe()


def imported_batches(engine: Engine) -> int:
    """How many batches of the database are not the demo's own (0 without a schema yet): a
    demo database can be built again, real data must not get synthetic batches unasked."""
    from sqlalchemy import func, inspect, select

    from rollout.db import session_scope
    from rollout.models import ImportBatch

    if not inspect(engine).has_table(ImportBatch.__tablename__):
        return 0
    real = [COMMUNES_FILE.name, ARCEP_INFO_FILE.name, ARCEP_FTTH_FILE.name]
    with session_scope(engine) as session:
        return int(session.scalar(
            select(func.count(ImportBatch.id))
            .where(ImportBatch.synthetic.is_(False), ImportBatch.file_name.not_in(real))
        ) or 0)


def build_demo(engine: Engine, inputs_folder: Path | None = None) -> Iterator[str]:
    """Create the schema, load the real files, write and load the synthetic continuation.

    Synthetic inputs are written to ``inputs_folder`` (default: ``demo-inputs`` beside the
    SpatiaLite file, or in the working directory for PostGIS).
    """
    from rollout import demo_mobile
    from rollout.importers import arcep, communes
    from rollout.migrate import upgrade

    upgrade(engine)
    yield "schéma à jour"
    yield communes.load(engine, COMMUNES_FILE).describe()
    yield arcep.load(engine, ARCEP_INFO_FILE).describe()
    yield arcep.load(engine, ARCEP_FTTH_FILE).describe()
    base = _real_baseline()
    trajectories = synthetic_trajectories(base)
    folder = inputs_folder or demo_inputs_folder(engine)
    for publication in PUBLICATIONS:
        path = write_publication(base, trajectories, publication, folder)
        yield arcep.load(engine, path, synthetic=True).describe()
    yield from _load_commitments(engine, base, trajectories, folder)
    yield from demo_mobile.load_demo_mobile(engine, folder)
    yield "démo prête : données réelles jusqu'au T1 2018, synthétiques ensuite (marquées)"
