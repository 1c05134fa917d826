"""Demo 5G sites, public works and 5G commitments for MEL: synthetic, format-faithful files.

- An ANFR export zip (``SUP_*.txt`` tables, ``;``, cp1252, CRLF, DMS coordinates with
  decimal-comma seconds): four mobile operators (ADM_ID numbers deliberately not in
  MCC-MNC order, names read from ``SUP_EXPLOITANT``) plus a broadcaster; 5G sites opening
  from 18 Nov 2020 (the first commercial 5G in France) to 2026, mostly NR 3500, some
  NR 700/2100, some 5G emitters not yet in service, 4G-only stations, a few stations
  outside MEL, a few supports without INSEE code (located by position).
- A WZDx 4.2 WorkZoneFeed: telecom trenching (``below-road-work``) passing 20 m from
  premises not yet connectable (dig-once), road works and detours.
- A Waze CIFS XML feed: closures and hazards, one overlapping a WZDx work zone in space and
  time (a conflict), one outside every commune.
- A separate commitments file: per operator, ``mobile_5g_sites`` over the MEL perimeter and a
  per-commune ``mobile_5g_premises_coverage_share`` for the four largest communes.
Everything is seeded and byte-for-byte deterministic, and loaded with ``synthetic=True``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
from pyproj import Transformer
from shapely.geometry import Point
from sqlalchemy import Engine

from geodata.commitments import COLUMNS

SEED = 20201118
FIRST_5G = dt.date(2020, 11, 18)
LAST_OPENING = dt.date(2026, 10, 31)
# ADM_ID, name, number of stations in MEL, share of NR 700 / NR 2100 among 5G sites.
OPERATORS = [
    (27, "ORANGE", 46, 0.10, 0.15),
    (8, "SFR", 40, 0.10, 0.20),
    (61, "FREE MOBILE", 36, 0.45, 0.0),
    (13, "BOUYGUES TELECOM", 38, 0.10, 0.20),
]
BROADCASTER = (3, "TDF")
# Stations outside MEL (kept in the national export, skipped at import): lon, lat, INSEE.
OUTSIDE = [(2.7775, 50.2910, "62041"), (2.3770, 51.0343, "59183"), (2.8310, 50.4320, "62498")]
LTE = ["LTE 800", "LTE 1800", "LTE 2600"]
BAND_MHZ = {"NR 700": (758, 788), "NR 2100": (2110, 2170), "NR 3500": (3490, 3570),
            "LTE 800": (791, 821), "LTE 1800": (1805, 1880), "LTE 2600": (2620, 2690)}
LARGEST = ["59350", "59512", "59599", "59009"]  # Lille, Roubaix, Tourcoing, Villeneuve-d'Ascq
ZIP_TIME = (2026, 11, 1, 0, 0, 0)
TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)
TO_WGS = Transformer.from_crs(2154, 4326, always_xy=True)


def _dms(value: float, positive: str, negative: str) -> list[str]:
    """Degrees, minutes, seconds with a decimal comma (one decimal) and hemisphere letter."""
    letter = positive if value >= 0 else negative
    tenths = round(abs(value) * 36000)
    degrees, rest = divmod(tenths, 36000)
    minutes, seconds = divmod(rest, 600)
    return [str(degrees), str(minutes), f"{seconds // 10},{seconds % 10}", letter]


def _day(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _site_rows(communes: gpd.GeoDataFrame, rng: np.random.Generator) -> list[dict]:
    """One dict per station: operator, position, INSEE, emitters (system, date or None)."""
    weights = communes["population"].astype(float).fillna(0).to_numpy() ** 0.8
    weights = weights / weights.sum()
    stations: list[dict] = []
    for adm_id, _, count, nr700, nr2100 in OPERATORS:
        chosen = rng.choice(len(communes), size=count, p=weights)
        for index in chosen:
            commune = communes.iloc[index]
            lon, lat = _random_inside(commune.geometry, rng)
            station_date = _day(rng, dt.date(2008, 1, 1), dt.date(2019, 12, 31))
            emitters: list[tuple[str, dt.date | None]] = [
                (s, station_date) for s in LTE[: int(rng.integers(1, 4))]]
            if rng.random() < 0.82:  # 5G site
                draw = rng.random()
                band = "NR 700" if draw < nr700 else "NR 2100" if draw < nr700 + nr2100 \
                    else "NR 3500"
                opened = None if rng.random() < 0.08 else _day(rng, FIRST_5G, LAST_OPENING)
                emitters.append((f"5G {band}", opened))
            stations.append({"adm_id": adm_id, "lon": lon, "lat": lat, "date": station_date,
                             "insee": commune["insee"] if rng.random() > 0.06 else "",
                             "emitters": emitters})
    for lon, lat, insee in OUTSIDE:
        stations.append({"adm_id": OPERATORS[0][0], "lon": lon, "lat": lat, "insee": insee,
                         "date": dt.date(2015, 3, 2),
                         "emitters": [("LTE 800", dt.date(2015, 3, 2)),
                                      ("5G NR 3500", dt.date(2022, 5, 4))]})
    lille = communes.set_index("insee").geometry["59350"].representative_point()
    stations.append({"adm_id": BROADCASTER[0], "lon": lille.x, "lat": lille.y, "insee": "59350",
                     "date": dt.date(1998, 6, 1), "emitters": [("FM", dt.date(1998, 6, 1))]})
    return stations


def _random_inside(polygon, rng: np.random.Generator) -> tuple[float, float]:
    """A random point of ``polygon`` (rejection sampling), else its representative point."""
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(200):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(lon, lat)):
            return float(lon), float(lat)
    point = polygon.representative_point()
    return float(point.x), float(point.y)


def _table(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1252")


def write_anfr_zip(communes: gpd.GeoDataFrame, folder: Path) -> Path:
    """The ANFR-layout zip of the demo stations; returns its path."""
    rng = np.random.default_rng(SEED)
    stations = _site_rows(communes.sort_values("insee").reset_index(drop=True), rng)
    supports, station_rows, emitters, bands, antennas = [], [], [], [], []
    emitter_id = 0
    for number, s in enumerate(stations, start=1):
        sta = f"059{number:07d}"
        coords = [*_dms(s["lat"], "N", "S"), *_dms(s["lon"], "E", "W")]
        supports.append([number, sta, 11, *coords, "30,5", 1, "Support synthétique",
                         "", "", "", "", s["insee"]])
        station_rows.append([sta, s["adm_id"], number, s["date"].strftime("%d/%m/%Y"), "",
                             s["date"].strftime("%d/%m/%Y")])
        antennas.append([sta, number, 1, "2,5", "", 120, "28,0", number])
        for system, day in s["emitters"]:
            emitter_id += 1
            emitters.append([emitter_id, system, sta, number,
                             day.strftime("%d/%m/%Y") if day else ""])
            band = system.removeprefix("5G ")
            if band in BAND_MHZ:
                low, high = BAND_MHZ[band]
                bands.append([sta, emitter_id, emitter_id, low, high, "M"])
    # A station on two supports (a second antenna mast): the first support row places it.
    supports.append([len(stations) + 1, supports[0][1], 11, *supports[0][3:11], "45", 1,
                     "Second support de la station", "", "", "", "", supports[0][-1]])
    operators = [[a, n] for a, n, *_ in OPERATORS] + [list(BROADCASTER)]
    tables = {
        "SUP_SUPPORT": (["SUP_ID", "STA_NM_ANFR", "NAT_ID", "COR_NB_DG_LAT", "COR_NB_MN_LAT",
                         "COR_NB_SC_LAT", "COR_CD_NS_LAT", "COR_NB_DG_LON", "COR_NB_MN_LON",
                         "COR_NB_SC_LON", "COR_CD_EW_LON", "SUP_NM_HAUT", "TPO_ID",
                         "ADR_LB_LIEU", "ADR_LB_ADD1", "ADR_LB_ADD2", "ADR_LB_ADD3",
                         "ADR_NM_CP", "COM_CD_INSEE"], supports),
        "SUP_STATION": (["STA_NM_ANFR", "ADM_ID", "DEM_NM_COMSIS", "DTE_IMPLANTATION",
                         "DTE_MODIF", "DTE_EN_SERVICE"], station_rows),
        "SUP_ANTENNE": (["STA_NM_ANFR", "AER_ID", "TAE_ID", "AER_NB_DIMENSION",
                         "AER_FG_RAYON", "AER_NB_AZIMUT", "AER_NB_ALT_BAS", "SUP_ID"], antennas),
        "SUP_EMETTEUR": (["EMR_ID", "EMR_LB_SYSTEME", "STA_NM_ANFR", "AER_ID",
                          "EMR_DT_SERVICE"], emitters),
        "SUP_BANDE": (["STA_NM_ANFR", "BAN_ID", "EMR_ID", "BAN_NB_F_DEB", "BAN_NB_F_FIN",
                       "BAN_FG_UNITE"], bands),
        "SUP_EXPLOITANT": (["ADM_ID", "ADM_LB_NOM"], operators),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "anfr_installations_radio_mel_synthetique_202611.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (header, rows) in tables.items():
            info = zipfile.ZipInfo(f"{name}.txt", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _table(header, rows))
    return path


def _segment(x: float, y: float, angle: float, length: float, offset: float) -> list:
    """A straight street segment (lon/lat) of ``length`` m passing ``offset`` m from (x, y)."""
    ux, uy = np.cos(angle), np.sin(angle)
    cx, cy = x - uy * offset, y + ux * offset
    ends = [(cx - ux * length / 2, cy - uy * length / 2), (cx + ux * length / 2,
                                                           cy + uy * length / 2)]
    return [[round(v, 6) for v in TO_WGS.transform(px, py)] for px, py in ends]


def _utc(day: dt.date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def _works(communes: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, rng) -> tuple[list, list]:
    """(WZDx features, CIFS incidents) of the demo works."""
    names = communes.set_index("insee")["name"]
    centres = communes.set_index("insee").geometry.representative_point()
    features, incidents = [], []

    def feature(fid, kind, insee, line, start, end, work_types, vehicle, road):
        props = {
            "core_details": {"data_source_id": "MEL", "event_type": kind,
                             "road_names": [f"{road} ({names[insee]})"],
                             "direction": "undefined", "name": fid,
                             "description": {"work-zone": "Chantier", "detour": "Déviation"}[kind]
                             + (" — tranchée télécom" if "below-road-work" in work_types else "")},
            "start_date": start, "end_date": end,
            "is_start_date_verified": False, "is_end_date_verified": False,
        }
        if kind == "work-zone":
            props.update(location_method="channel-device-method", vehicle_impact=vehicle,
                         is_start_position_verified=False, is_end_position_verified=False,
                         types_of_work=[{"type_name": t} for t in work_types])
        features.append({"id": fid, "type": "Feature", "properties": props,
                         "geometry": {"type": "LineString", "coordinates": line}})

    targets = gaps.sort_values(["insee", "building_id"]).reset_index(drop=True)
    picks = rng.choice(len(targets), size=min(6, len(targets)), replace=False) if len(targets) \
        else []
    for k, index in enumerate(sorted(picks), start=1):
        row = targets.iloc[int(index)]
        x, y = TO_L93.transform(row.geometry.x, row.geometry.y)
        start = _day(rng, dt.date(2026, 10, 1), dt.date(2027, 3, 31))
        feature(f"MEL-WZ-TR{k:02d}", "work-zone", row["insee"],
                _segment(x, y, rng.uniform(0, np.pi), 300, 20), _utc(start, 7),
                _utc(start + dt.timedelta(days=int(rng.integers(20, 90))), 17),
                ["below-road-work"], "some-lanes-closed", "Voie communale")
    big = [c for c in LARGEST if c in centres.index]
    for k, insee in enumerate(big, start=1):
        x, y = TO_L93.transform(centres[insee].x, centres[insee].y)
        start = dt.date(2026, 9 + k % 3, 3 * k)
        line = _segment(x, y, 0.3 * k, 400, 0)
        feature(f"MEL-WZ-RD{k:02d}", "work-zone", insee, line, _utc(start, 6),
                _utc(start + dt.timedelta(days=60), 18), ["surface-work", "painting"],
                "all-lanes-closed", "Avenue principale")
        feature(f"MEL-DT-{k:02d}", "detour", insee, _segment(x, y, 0.3 * k + 1.2, 800, 150),
                _utc(start, 6), _utc(start + dt.timedelta(days=60), 18), [], "", "Itinéraire bis")
        if k <= 2:  # the same street closed again by the CIFS feed: a conflict
            incidents.append((f"MEL-CIFS-{k:02d}", "ROAD_CLOSED", "ROAD_CLOSED_CONSTRUCTION",
                              f"Avenue principale ({names[insee]})", "Fermeture pour réseaux",
                              _segment(x, y, 0.3 * k, 200, 4),
                              f"{start + dt.timedelta(days=20)}T08:00:00+01:00",
                              f"{start + dt.timedelta(days=35)}T18:00:00+01:00"))
    for k, insee in enumerate(sorted(rng.choice(communes["insee"], 4, replace=False)), start=3):
        x, y = TO_L93.transform(centres[insee].x, centres[insee].y)
        start = _day(rng, dt.date(2025, 6, 1), dt.date(2027, 6, 30))
        kind = ("HAZARD", "HAZARD_ON_ROAD_CONSTRUCTION") if k % 2 else \
            ("ROAD_CLOSED", "ROAD_CLOSED_CONSTRUCTION")
        incidents.append((f"MEL-CIFS-{k:02d}", *kind, f"Rue du Centre ({names[insee]})",
                          "Travaux de voirie", _segment(x, y, rng.uniform(0, np.pi), 250, 60),
                          f"{start}T07:30:00+02:00",
                          f"{start + dt.timedelta(days=int(rng.integers(5, 40)))}T19:00:00+02:00"))
    # Menen (Belgium), across the border: outside every MEL commune, kept and flagged.
    incidents.append(("MEL-CIFS-99", "ROAD_CLOSED", "ROAD_CLOSED_CONSTRUCTION",
                      "Grensstraat (Menen, BE)", "Fermeture transfrontalière",
                      [[3.1190, 50.7950], [3.1230, 50.7965]],
                      "2026-12-07T06:00:00+01:00", "2026-12-18T20:00:00+01:00"))
    return features, incidents


def write_works_feeds(
    communes: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, folder: Path
) -> tuple[Path, Path]:
    """The WZDx 4.2 feed and the CIFS XML feed of the demo works."""
    rng = np.random.default_rng(SEED + 1)
    features, incidents = _works(communes.sort_values("insee").reset_index(drop=True), gaps, rng)
    feed = {
        "feed_info": {
            "update_date": "2026-11-01T00:00:00Z", "version": "4.2",
            "publisher": "Métropole Européenne de Lille (données synthétiques)",
            "data_sources": [{"data_source_id": "MEL", "organization_name":
                              "MEL — Direction de l'espace public (démonstration)"}],
        },
        "type": "FeatureCollection", "features": features,
    }
    folder.mkdir(parents=True, exist_ok=True)
    wzdx = folder / "wzdx_mel_synthetique.geojson"
    wzdx.write_text(json.dumps(feed, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<incidents>"]
    for iid, kind, subtype, street, text, line, start, end in incidents:
        polyline = " ".join(f"{lat} {lon}" for lon, lat in line)  # CIFS: latitude first
        lines += [
            f'  <incident id="{iid}">', "    <source><name>MEL (démonstration)</name></source>",
            f"    <type>{kind}</type>", f"    <subtype>{subtype}</subtype>",
            f"    <description>{escape(text)}</description>", "    <location>",
            f"      <street>{escape(street)}</street>", f"      <polyline>{polyline}</polyline>",
            "      <direction>BOTH_DIRECTIONS</direction>", "    </location>",
            f"    <starttime>{start}</starttime>", f"    <endtime>{end}</endtime>",
            "  </incident>",
        ]
    cifs = folder / "cifs_mel_synthetique.xml"
    cifs.write_text("\n".join([*lines, "</incidents>"]) + "\n", encoding="utf-8")
    return wzdx, cifs


def write_5g_commitments(communes: list[str], folder: Path) -> Path:
    """Per operator: 5G sites over MEL (end 2022, end 2025) and coverage of the largest communes."""
    rows = []
    for code, name, first, second in (("20801", "Orange", 12, 36), ("20810", "SFR", 10, 30),
                                      ("20815", "Free Mobile", 10, 28),
                                      ("20820", "Bouygues Telecom", 10, 30)):
        agreement = {"agreement_id": f"MEL-5G-{code}",
                     "agreement_name": f"Charte 5G MEL – {name} (jalons de démonstration)",
                     "operator_code": code, "operator_name": name, "signed_on": "2020-10-15",
                     "source_document": "Charte de déploiement 5G (données de démonstration)"}
        rows += [{**agreement, "commune_insee": c, "metric": "perimeter"} for c in communes]
        rows += [{**agreement, "metric": "mobile_5g_sites", "target": str(first),
                  "due_on": "2022-12-31"},
                 {**agreement, "metric": "mobile_5g_sites", "target": str(second),
                  "due_on": "2025-12-31"}]
        rows += [{**agreement, "commune_insee": c, "metric": "mobile_5g_premises_coverage_share",
                  "target": "30 %", "due_on": "2024-12-31"} for c in LARGEST if c in communes]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "engagements_5g_demo_mel.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def load_demo_mobile(engine: Engine, folder: Path, as_of: dt.date = LAST_OPENING) -> Iterator[str]:
    """Write and load the demo sites, works and 5G commitments (after communes and premises)."""
    from rollout import gaps, mobile, queries
    from rollout.db import session_scope
    from rollout.importers import commitments, sites, works

    with session_scope(engine) as session:
        communes = queries.communes(session, geometry=True)
        points = mobile.premises_points(session, as_of)
    not_connectable = gaps.premises_gap_points(points) if len(points) else points
    yield sites.load(engine, write_anfr_zip(communes, folder), synthetic=True).describe()
    wzdx, cifs = write_works_feeds(communes, not_connectable, folder)
    yield works.load(engine, wzdx, fmt="wzdx", synthetic=True).describe()
    yield works.load(engine, cifs, fmt="cifs", synthetic=True).describe()
    path = write_5g_commitments(sorted(communes["insee"]), folder)
    yield commitments.load(engine, path, synthetic=True).describe()

