"""Deterministic national-size dataset: communes, progress, commitments and a building file.

    python benchmarks/make_national.py --out DIR [--communes 35000] [--rows 10000000] [--seed 8]

Writes into ``DIR`` (keep it outside the repository):

- ``communes.geojson``: a tessellation of metropolitan France's extent (Voronoi cells of a
  jittered grid clipped to the bounding box, so neighbours share their borders exactly), with
  INSEE-like codes (department + 3 digits, ``2A``/``2B`` included), names and populations;
- ``premises_counts.csv``: ``insee,as_of,premises,method`` (one INSEE vintage, then yearly
  best estimates);
- ``progress.csv``: ``insee,operator_code,observed_on,connectable,rad``, quarterly from
  T1 2017 to T1 2026 for 4 operators in every commune;
- ``commitments.csv``: the project's template (FORMATS.md §4), one agreement per operator over
  every commune, 4 milestones per commune and operator;
- ``carte_fibre_immeubles_2025_Q4_national.csv``: ARCEP's building format (FORMATS.md §3),
  ``--rows`` buildings, each drawn inside its commune; 3 % without INSEE code, 10 % without
  committed operator;
- ``2020t4-obs-hd-thd-deploiement.csv`` and ``2026t1-obs-hd-thd-deploiement.csv``: the ARCEP
  observatory as a national user downloads it (FORMATS.md §2, 2020+ layout, national quarter
  labels ``2025 T1``): one row per commune with its best estimate of premises (each
  publication's own), its L.33-13 operator and one connectable column per quarter from T4 2017;
  the 2026 publication revises 1 % of the T4 2020 figures.

Same arguments -> same bytes (tests/test_scale.py checks it).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

BBOX = (-4.8, 42.4, 8.2, 51.0)  # lon/lat extent of metropolitan France
OPERATORS = ("FRTE", "SFR0", "COAG", "AXIO")
OPERATOR_NAMES = ("Orange", "SFR", "Covage", "Axione")
OPERATOR_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
DEPARTMENTS = [f"{d:02d}" for d in range(1, 20)] + ["2A", "2B"] + [f"{d}" for d in range(21, 96)]
STATUSES = ("deploye", "raccordable demande", "en cours deploiement", "cible", "signe",
            "rad en cours deploiement", "abandonne")
STATUS_WEIGHTS = (0.70, 0.05, 0.08, 0.08, 0.04, 0.02, 0.03)
SIZE_CLASSES = ("individuel", "entre 2 et 11", "entre 12 et 100", "plus de 100")
SIZE_WEIGHTS = (0.72, 0.22, 0.055, 0.005)
STREET_TYPES = ("RUE", "AV", "BD", "CHE", "IMP", "PL", "ALL", "RTE")
STREET_NAMES = ("DE LA REPUBLIQUE", "VICTOR HUGO", "JEAN JAURES", "DE LA GARE", "DU MOULIN",
                "DES ECOLES", "PASTEUR", "DE L EGLISE", "DU GENERAL DE GAULLE", "DES LILAS")
BUILDING_FILE = "carte_fibre_immeubles_2025_Q4_national.csv"
BUILDING_HEADER = ["x", "y", "imb_id", "num_voie", "type_voie", "nom_voie", "code_poste",
                   "nom_com", "code_insee", "catg_loc_imb", "imb_etat", "pm_ref", "pm_etat",
                   "code_l331", "type_imb", "date_completude"]
QUARTERS = [np.datetime64(f"{y}-{m:02d}-{d}") for y in range(2017, 2027)
            for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))][:37]  # T1 2017 .. T1 2026
MILESTONES = (  # metric, target, due_on, rad_cap: the L.33-13 shape (FORMATS.md §4)
    ("ftth_connectable_or_rad_share", 1.0, "2020-12-31", 0.08),
    ("ftth_connectable_share", 0.8, "2022-12-31", None),
    ("ftth_connectable_share", 0.95, "2025-12-31", None),
    ("ftth_connectable_share", 1.0, "2027-12-31", None),
)
_BATCH = 1_000_000
_WRITE = pacsv.WriteOptions(quoting_style="none", include_header=False)


@contextmanager
def _csv(path: Path, schema: pa.Schema) -> Iterator[pacsv.CSVWriter]:
    """A CSV writer with a plain header line (Arrow would quote the header names)."""
    with open(path, "wb") as fh:
        fh.write((",".join(schema.names) + "\n").encode())
        with pacsv.CSVWriter(fh, schema, write_options=_WRITE) as writer:
            yield writer


def make_communes(n: int, rng: np.random.Generator) -> dict:
    """Voronoi cells of a jittered grid over ``BBOX``; the seeds and a safe radius around each."""
    west, south, east, north = BBOX
    cols = max(int(round(np.sqrt(n * (east - west) / (north - south)))), 1)
    rows = max(int(round(n / cols)), 1)
    cell_x, cell_y = (east - west) / cols, (north - south) / rows
    gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
    x = west + (gx.ravel() + 0.5 + rng.uniform(-0.3, 0.3, gx.size)) * cell_x
    y = south + (gy.ravel() + 0.5 + rng.uniform(-0.3, 0.3, gy.size)) * cell_y
    seeds = shapely.points(x, y)
    box = shapely.box(*BBOX)
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=box, ordered=True))
    cells = _detailed(shapely.intersection(cells, box), min(cell_x, cell_y) / 20)
    # A disk of half the distance to the nearest other seed lies inside the seed's (straight)
    # cell; 0.35 of it leaves room for the bent borders (moved by 1 % of a cell at most).
    tree = shapely.STRtree(seeds)
    _, nearest = tree.query_nearest(seeds, exclusive=True, return_distance=True,
                                         all_matches=False)
    edge = np.minimum.reduce([x - west, east - x, y - south, north - y])
    radius = np.minimum(0.35 * nearest, 0.9 * edge)
    # Departments: 96 blocks of the grid (12 bands x 8), numbered west to east, south to north.
    block = (gy.ravel() * 8 // rows) * 12 + gx.ravel() * 12 // cols
    order = np.lexsort((gx.ravel(), gy.ravel(), block))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    first = np.searchsorted(block[order], block)
    number = rank - first + 1
    insee = np.array([f"{DEPARTMENTS[b]}{k:03d}" for b, k in zip(block, number, strict=True)])
    population = np.maximum(rng.lognormal(6.2, 1.3, len(insee)).astype(np.int64), 20)
    return {"insee": insee, "geometry": cells, "x": x, "y": y, "radius": radius,
            "population": population, "department": np.array(DEPARTMENTS)[block]}


def _detailed(cells: np.ndarray, step: float) -> np.ndarray:
    """Borders with a vertex every ``step`` degrees, bent like real ones (IGN: hundreds of
    vertices per commune).

    Every vertex moves by one smooth function of its position (slope well below 1, zero on the
    outer box), so a vertex shared by neighbours moves the same way for both: still a coverage.
    """
    west, south, east, north = BBOX
    dense = shapely.segmentize(cells, step)
    xy = shapely.get_coordinates(dense)
    to_edge = np.minimum.reduce([xy[:, 0] - west, east - xy[:, 0], xy[:, 1] - south,
                                 north - xy[:, 1]])
    amplitude = 0.2 * step * np.clip(to_edge / step, 0, 1)
    wave = 2 * np.pi / (3 * step)
    moved = xy + amplitude[:, None] * np.c_[np.sin(xy[:, 1] * wave), np.cos(xy[:, 0] * wave)]
    return shapely.set_precision(shapely.set_coordinates(dense, moved), 1e-6)


def write_communes(path: Path, communes: dict) -> None:
    """GeoJSON written by hand (6 decimals) so the bytes depend on the data only."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        last = len(communes["insee"]) - 1
        for i, (code, geom, pop) in enumerate(zip(
                communes["insee"], communes["geometry"], communes["population"], strict=True)):
            ring = np.round(shapely.get_coordinates(geom.exterior), 6).tolist()
            feature = {"type": "Feature",
                       "properties": {"code_insee": code, "nom": f"Commune {code}",
                                      "population": int(pop)},
                       "geometry": {"type": "Polygon", "coordinates": [ring]}}
            fh.write(json.dumps(feature, separators=(",", ":")) + (",\n" if i < last else "\n"))
        fh.write("]}\n")


def premises_of(communes: dict) -> np.ndarray:
    """Premises of each commune: about 0.6 per inhabitant, at least 10."""
    return np.maximum((communes["population"] * 0.6).astype(np.int64), 10)


def write_premises_counts(path: Path, communes: dict, rng: np.random.Generator) -> None:
    premises = premises_of(communes)
    vintages = [("2019-01-01", "insee", 1.0)] + [
        (f"{year}-12-31", "best_estimate", 1.0 + 0.01 * (year - 2019))
        for year in range(2020, 2026)
    ]
    frames = []
    for as_of, method, growth in vintages:
        noise = rng.uniform(0.99, 1.01, len(premises))
        frames.append(pa.table({
            "insee": communes["insee"], "as_of": [as_of] * len(premises),
            "premises": np.maximum((premises * growth * noise).astype(np.int64), 1),
            "method": [method] * len(premises)}))
    table = pa.concat_tables(frames)
    with _csv(path, table.schema) as writer:
        writer.write_table(table)


def write_progress(path: Path, communes: dict, rng: np.random.Generator) -> None:
    """Logistic curves per commune x operator: plateau, mid-point and speed drawn once."""
    premises = premises_of(communes)
    n = len(premises)
    plateau = rng.uniform(0.6, 1.04, (len(OPERATORS), n))
    middle = rng.uniform(2018.0, 2025.0, (len(OPERATORS), n))
    speed = rng.uniform(0.8, 2.5, (len(OPERATORS), n))
    rad_share = rng.uniform(0.0, 0.12, (len(OPERATORS), n))
    schema = pa.schema([("insee", pa.string()), ("operator_code", pa.string()),
                        ("observed_on", pa.date32()), ("connectable", pa.int64()),
                        ("rad", pa.int64())])
    with _csv(path, schema) as writer:
        for day in QUARTERS:
            year = 1970 + day.astype("datetime64[D]").astype(np.int64) / 365.2425
            for k, code in enumerate(OPERATORS):
                reached = plateau[k] / (1 + np.exp(-speed[k] * (year - middle[k])))
                connectable = np.round(premises * reached).astype(np.int64)
                writer.write_table(pa.table({
                    "insee": communes["insee"], "operator_code": [code] * n,
                    "observed_on": pa.array(np.full(n, day, dtype="datetime64[D]")),
                    "connectable": connectable,
                    "rad": np.round(connectable * rad_share[k]).astype(np.int64)}))


def write_commitments(path: Path, communes: dict) -> None:
    """One agreement per operator over every commune, 4 per-commune milestones each."""
    insee = communes["insee"]
    n = len(insee)
    header = ["agreement_id", "agreement_name", "operator_code", "operator_name", "signed_on",
              "source_document", "commune_insee", "metric", "target", "due_on", "rad_cap"]
    with _csv(path, pa.schema([(h, pa.string()) for h in header])) as writer:
        for code, name in zip(OPERATORS, OPERATOR_NAMES, strict=True):
            rows = [("perimeter", None, None, None)] + list(MILESTONES)
            for metric, target, due_on, cap in rows:
                writer.write_table(pa.table({
                    "agreement_id": [f"L3313-{code}"] * n,
                    "agreement_name": [f"Engagement L. 33-13 {name} (synthétique)"] * n,
                    "operator_code": [code] * n, "operator_name": [name] * n,
                    "signed_on": ["2018-07-26"] * n,
                    "source_document": ["arrêté du 26 juillet 2018 (jeu synthétique)"] * n,
                    "commune_insee": insee, "metric": [metric] * n,
                    "target": [None if target is None else str(target)] * n,
                    "due_on": [due_on] * n, "rad_cap": [None if cap is None else str(cap)] * n,
                }, schema=pa.schema([(h, pa.string()) for h in header])))


def write_buildings(path: Path, communes: dict, rows: int, rng: np.random.Generator) -> None:
    """ARCEP building rows, each drawn in a disk around its commune's seed (inside the cell)."""
    weights = premises_of(communes).astype(float)
    weights /= weights.sum()
    insee = pa.array(communes["insee"])
    names = pa.array([f"Commune {c}" for c in communes["insee"]])
    postcodes = pa.array([("20" if d in ("2A", "2B") else d) + "000"
                          for d in communes["department"]])
    schema = pa.schema([(h, pa.float64() if h in ("x", "y") else pa.string())
                        for h in BUILDING_HEADER])
    with _csv(path, schema) as writer:
        for start in range(0, rows, _BATCH):
            n = min(_BATCH, rows - start)
            commune = rng.choice(len(weights), size=n, p=weights)
            angle = rng.uniform(0, 2 * np.pi, n)
            distance = communes["radius"][commune] * np.sqrt(rng.uniform(0, 1, n))
            lon = np.round(communes["x"][commune] + distance * np.cos(angle), 6)
            lat = np.round(communes["y"][commune] + distance * np.sin(angle), 6)
            code = insee.take(commune)
            code = pc.if_else(pa.array(rng.random(n) < 0.03), pa.scalar(None, pa.string()), code)
            operator = np.array(OPERATORS)[rng.choice(len(OPERATORS), n, p=OPERATOR_WEIGHTS)]
            operator = pa.array(np.where(rng.random(n) < 0.1, None, operator), pa.string())
            size = rng.choice(len(SIZE_CLASSES), n, p=SIZE_WEIGHTS)
            status = np.array(STATUSES)[rng.choice(len(STATUSES), n, p=STATUS_WEIGHTS)]
            day = np.datetime64("2017-01-01") + rng.integers(0, 3287, n).astype("timedelta64[D]")
            day_text = pa.array(day.astype(str))
            deployed = pa.array(status == "deploye")
            ids = pc.cast(pa.array(np.arange(start, start + n)), pa.string())
            pm = pc.cast(pa.array(rng.integers(1, 60, n)), pa.string())
            writer.write_table(pa.table({
                "x": lon, "y": lat,
                "imb_id": pc.binary_join_element_wise("IMB/", ids, ""),
                "num_voie": pc.cast(pa.array(rng.integers(1, 250, n)), pa.string()),
                "type_voie": pa.array(np.array(STREET_TYPES)[rng.integers(0, 8, n)]),
                "nom_voie": pa.array(np.array(STREET_NAMES)[rng.integers(0, 10, n)]),
                "code_poste": postcodes.take(commune), "nom_com": names.take(commune),
                "code_insee": code,
                "catg_loc_imb": pa.array(np.array(SIZE_CLASSES)[size]),
                "imb_etat": pa.array(status),
                "pm_ref": pc.binary_join_element_wise("FI", insee.take(commune), pm, "-"),
                "pm_etat": pc.if_else(deployed, "deploye", "en cours deploiement"),
                "code_l331": operator,
                "type_imb": pa.array(np.where(size == 0, "pavillon", "immeuble")),
                "date_completude": pc.if_else(deployed, day_text, pa.scalar(None, pa.string())),
            }, schema=schema))


def write_observatory(out: Path, communes: dict, rng: np.random.Generator) -> list[Path]:
    """Two national publications (T4 2020, T1 2026) of the 2020+ observatory layout."""
    premises = premises_of(communes)
    n = len(premises)
    operator = rng.choice(len(OPERATORS), n, p=OPERATOR_WEIGHTS)
    plateau, middle = rng.uniform(0.6, 1.0, n), rng.uniform(2018.0, 2025.0, n)
    speed = rng.uniform(0.8, 2.5, n)
    revised = rng.random(n) < 0.01
    quarters = QUARTERS[3:]  # the 2020+ layout starts at T4 2017
    labels = [f"{d.astype(object).year} T{(d.astype(object).month + 2) // 3}" for d in quarters]
    year = 1970 + np.array(quarters, dtype="datetime64[D]").astype(np.int64) / 365.2425
    reached = plateau[:, None] / (1 + np.exp(-speed[:, None] * (year[None, :] - middle[:, None])))
    connectable = np.round(premises[:, None] * reached).astype(np.int64)
    codes = np.array(OPERATORS)[operator]
    paths = []
    for last, name in ((labels.index("2020 T4"), "2020t4"), (len(labels) - 1, "2026t1")):
        values = connectable[:, : last + 1].copy()
        if name == "2026t1":
            values[revised, labels.index("2020 T4")] += 1
        label = labels[last]
        header = ["Code commune", "Nom commune", "Code département", "Code région", "Siren EPCI",
                  "EPCI AMII", "Logements", "Établissements",
                  f"Meilleure estimation des locaux {label}", "Engagements L. 33-13 et AMEL",
                  f"OI {label}", *labels[: last + 1]]
        columns = {
            "Code commune": communes["insee"],
            "Nom commune": [f"Commune {c}" for c in communes["insee"]],
            "Code département": communes["department"], "Code région": ["00"] * n,
            "Siren EPCI": ["-"] * n, "EPCI AMII": ["-"] * n,
            "Logements": (premises * 0.8).astype(np.int64),
            "Établissements": premises - (premises * 0.8).astype(np.int64),
            header[8]: premises if name == "2020t4" else (premises * 1.06).astype(np.int64),
            header[9]: codes, header[10]: codes,
            **{q: values[:, i] for i, q in enumerate(labels[: last + 1])},
        }
        table = pa.table({h: columns[h] for h in header})
        path = out / f"{name}-obs-hd-thd-deploiement.csv"
        with open(path, "wb") as fh:
            fh.write("Observatoire du haut et très haut débit (jeu synthétique)\n\n\n\n".encode())
            fh.write((",".join(header) + "\n").encode())
            pacsv.write_csv(table, fh, write_options=_WRITE)
        paths.append(path)
    return paths


PARTS = ("communes", "premises_counts", "progress", "commitments", "buildings", "observatory")


def generate(
    out: Path, *, communes: int = 35_000, rows: int = 10_000_000, seed: int = 8,
    parts: tuple[str, ...] = PARTS,
) -> dict[str, Path]:
    """Write the chosen ``parts`` into ``out``; return the paths written by part.

    Each part draws from its own random stream, so a part's bytes do not depend on the others.
    """
    out.mkdir(parents=True, exist_ok=True)
    cells = make_communes(communes, np.random.default_rng([seed, 0]))
    writers = {
        "communes": ("communes.geojson", lambda p, rng: write_communes(p, cells)),
        "premises_counts": ("premises_counts.csv",
                            lambda p, rng: write_premises_counts(p, cells, rng)),
        "progress": ("progress.csv", lambda p, rng: write_progress(p, cells, rng)),
        "commitments": ("commitments.csv", lambda p, rng: write_commitments(p, cells)),
        "buildings": (BUILDING_FILE, lambda p, rng: write_buildings(p, cells, rows, rng)),
        "observatory": ("2026t1-obs-hd-thd-deploiement.csv",
                        lambda p, rng: write_observatory(p.parent, cells, rng)),
    }
    paths = {}
    for number, part in enumerate(PARTS, start=1):
        if part in parts:
            name, write = writers[part]
            paths[part] = out / name
            write(paths[part], np.random.default_rng([seed, number]))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder outside the repository")
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--rows", type=int, default=10_000_000, help="buildings")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    for path in generate(args.out, communes=args.communes, rows=args.rows,
                         seed=args.seed).values():
        print(f"{path}  {path.stat().st_size / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
