"""Demo commitments and per-building files that follow the real history (FORMATS.md §4).

- Orange's L.33-13 commitment (order of 26 July 2018) over its MEL communes: 100 % of
  premises connectable or connectable on demand with at most 8 % on demand by 31 Dec 2020,
  a deadline later moved to 14 Apr 2021 (encoded as its own agreement: an amendment is a new
  legal act), and 100 % connectable by 31 Dec 2022.
- MEL's 2013 convention with Orange: per-commune milestones (92 % connectable by 2020, 98 %
  by 2027) for the communes Orange took over.
- Covage's 13 communes (taken over from SFR in 2016): perimeter milestones.
- Synthetic IPE files (Orange, RGF93 coordinates, ``;``, decimal comma) for the perimeter at
  the legal dates, consistent with the synthetic ARCEP continuation.
Everything here except the rules above is synthetic and loaded with ``synthetic=True``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geodata.commitments import COLUMNS

SEED = 20130128
IPE_DATES = [dt.date(2020, 12, 31), dt.date(2021, 4, 14), dt.date(2022, 12, 31),
             dt.date(2026, 9, 30)]
ADDRESSES_PER_STATUS = {"DEPLOYE": 14, "RACCORDABLE DEMANDE": 4,
                        "RAD EN COURS DE DEPLOIEMENT": 2, "EN COURS DE DEPLOIEMENT": 4,
                        "SIGNE": 2, "CIBLE": 2}


def _agreement(agreement_id, name, operator, operator_name, signed_on, source):
    return dict(agreement_id=agreement_id, agreement_name=name, operator_code=operator,
                operator_name=operator_name, signed_on=signed_on, source_document=source)


def commitment_rows(base: pd.DataFrame, covage: set[str]) -> list[dict]:
    """Rows of the commitments template (one per perimeter commune or milestone)."""
    orange = sorted(base.loc[base["committed"] == "FRTE", "insee"])
    rows: list[dict] = []

    def add(agreement: dict, communes: list[str], milestones: list[tuple]) -> None:
        for insee in communes:
            rows.append({**agreement, "commune_insee": insee, "metric": "perimeter",
                         "target": "", "due_on": "", "rad_cap": ""})
        for insee, metric, target, due, cap in milestones:
            rows.append({**agreement, "commune_insee": insee, "metric": metric,
                         "target": target, "due_on": due, "rad_cap": cap})

    l3313 = _agreement(
        "FRTE-L3313-2018", "Engagements L. 33-13 d'Orange (zone AMII, MEL)", "FRTE", "Orange",
        "2018-07-26", "Arrêté du 26 juillet 2018 acceptant les engagements L. 33-13 d'Orange",
    )
    add(l3313, orange, [
        ("", "ftth_connectable_or_rad_share", "100 %", "31/12/2020", "8 %"),
        ("", "ftth_connectable_share", "100 %", "31/12/2022", ""),
    ])
    moved = _agreement(
        "FRTE-L3313-2018-REPORT", "Engagements L. 33-13 d'Orange — échéance 2020 reportée",
        "FRTE", "Orange", "2020-06-17",
        "Report au 14 avril 2021 de l'échéance du 31 décembre 2020 (données de démonstration)",
    )
    add(moved, orange, [("", "ftth_connectable_or_rad_share", "100 %", "2021-04-14", "8 %")])
    convention = _agreement(
        "MEL-2013-FRTE", "Convention MEL – Orange (2013, reprise 2016)", "FRTE", "Orange",
        "2013-10-28", "Convention de programmation et de suivi des déploiements FttH du "
        "28 octobre 2013 et avenant de 2016 (jalons de démonstration)",
    )
    add(convention, orange, [
        *[(c, "ftth_connectable_share", "0,92", "2020-12-31", "") for c in orange],
        *[(c, "ftth_connectable_share", "98 %", "2027-06-30", "") for c in orange[::5]],
    ])
    covage_agreement = _agreement(
        "MEL-2016-COAG", "Convention MEL – Covage (13 communes reprises de SFR)", "COAG",
        "Covage", "2016-09-15", "Avenant de réattribution de 2016 (jalons de démonstration)",
    )
    add(covage_agreement, sorted(covage), [
        ("", "ftth_connectable_share", "80 %", "2022-12-31", ""),
        ("", "ftth_connectable_share", "95 %", "2025-12-31", ""),
        ("", "ftth_connectable_share", "99 %", "2027-12-31", ""),
    ])
    return rows


def write_commitments(rows: list[dict], folder: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "engagements_demo_mel.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _random_points(polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points inside ``polygon`` (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(count * 3, 2))
        inside = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(inside)
        total += len(inside)
    return np.concatenate(found)[:count]


def _split(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    """Split ``total`` premises into at most ``parts`` addresses of at least one premises."""
    if total <= 0:
        return []
    parts = min(parts, total)
    weights = rng.dirichlet(np.ones(parts))
    sizes = np.floor(weights * (total - parts)).astype(int) + 1
    sizes[0] += total - sizes.sum()
    return [int(s) for s in sizes]


def write_ipe_files(
    trajectories: pd.DataFrame, communes: gpd.GeoDataFrame, orange: list[str], folder: Path
) -> list[Path]:
    """One synthetic Orange IPE file per legal date, ``;`` separated, cp1252, Lambert-93."""
    rng = np.random.default_rng(SEED)
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    shapes = communes.set_index("insee").geometry
    names = communes.set_index("insee")["name"]
    traj = trajectories.assign(
        day=[dt.date(y, q * 3, 1) for y, q in zip(trajectories.year, trajectories.quarter,
                                                   strict=True)]
    )
    paths = []
    for day in IPE_DATES:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(["IdentifiantImmeuble", "CodeInseeImmeuble", "CommuneImmeuble",
                         "NombreLogementsAdresseIPE", "EtatImmeuble", "TypeImmeuble",
                         "TypeProjectionGeographique", "CoordonneeImmeubleX",
                         "CoordonneeImmeubleY", "DateDerniereModification", "CodeOI"])
        for insee in orange:
            rows = traj[(traj["insee"] == insee) & (traj["day"] <= day)]
            latest = rows.iloc[-1]
            premises, connectable = int(latest.premises), int(latest.connectable)
            remaining = max(premises - connectable, 0)
            # On-demand premises: 35-65 % of what is not yet connectable, as seen in IPE files.
            rad = int(remaining * rng.uniform(0.35, 0.65))
            rad_building = int(rad * 0.3)
            in_progress = (remaining - rad) // 2
            counts = {"DEPLOYE": connectable, "RACCORDABLE DEMANDE": rad - rad_building,
                      "RAD EN COURS DE DEPLOIEMENT": rad_building,
                      "EN COURS DE DEPLOIEMENT": in_progress,
                      "SIGNE": (remaining - rad - in_progress) // 2,
                      "CIBLE": remaining - rad - in_progress - (remaining - rad - in_progress) // 2}
            sizes = [(status, size) for status, total in counts.items()
                     for size in _split(total, ADDRESSES_PER_STATUS[status], rng)]
            points = _random_points(shapes[insee], len(sizes), rng)
            x, y = to_l93.transform(points[:, 0], points[:, 1])
            for number, ((status, size), px, py) in enumerate(zip(sizes, x, y, strict=True)):
                writer.writerow([
                    f"IMB/{insee}/{day:%Y%m%d}/{number:04d}", insee, names[insee], size, status,
                    "PAVILLON" if size == 1 else "IMMEUBLE", "RGF93",
                    f"{px:.2f}".replace(".", ","), f"{py:.2f}".replace(".", ","),
                    day.strftime("%d/%m/%Y"), "FRTE",
                ])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"ipe_FRTE_mel_{day:%Y%m%d}.csv"
        path.write_bytes(buffer.getvalue().encode("cp1252"))
        paths.append(path)
    return paths
