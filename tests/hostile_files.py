"""The hostile corpus as real input files: every importer's format with a payload of
:mod:`tests.hostile` in every text field (issue 12).

Each writer takes the texts to plant, one record per text (record ``i`` carries ``texts[i]``
in every text field it has), and writes the file as the source publishes it. Record ``i``
lies in commune ``insee(i)``, a 0.01° square of its own near Lille, so every record is
located and reaches the outputs. Codes that must have a shape (INSEE, operator codes, dates)
stay valid: they are the subject of their own refusal tests.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

OPERATOR = "FRTE"


def insee(i: int) -> str:
    return f"59{i + 1:03d}"


def square(i: int) -> list[list[float]]:
    """Commune ``i``: a 0.01° square, ten per row of the grid."""
    x, y = 3.0 + 0.01 * (i % 10), 50.6 + 0.01 * (i // 10)
    return [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]


def centre(i: int) -> tuple[float, float]:
    x, y = square(i)[0]
    return x + 0.005, y + 0.005


def _csv(path: Path, header: list[str], rows: list[list[object]], *, sep: str = ",",
         before: list[list[str]] | None = None) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerows(before or [])
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def communes_geojson(path: Path, texts: list[str]) -> Path:
    features = [{"type": "Feature",
                 "properties": {"code_insee": insee(i), "nom": text, "population": 1000 + i},
                 "geometry": {"type": "Polygon", "coordinates": [square(i)]}}
                for i, text in enumerate(texts)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def communes_shapefile(path: Path, texts: list[str]) -> Path:
    """A zipped Shapefile (UTF-8 DBF, .cpg given); DBF text fields hold 254 bytes at most."""
    import geopandas as gpd
    from shapely.geometry import Polygon

    frame = gpd.GeoDataFrame({"code_insee": [insee(i) for i in range(len(texts))],
                              "nom": texts, "population": [1000 + i for i in range(len(texts))]},
                             geometry=[Polygon(square(i)) for i in range(len(texts))],
                             crs="EPSG:4326")
    folder = path.parent / (path.stem + "_shp")
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / "communes.shp", engine="pyogrio", encoding="UTF-8")
    with zipfile.ZipFile(path, "w") as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, member.name)
    return path


def arcep_observatory(path: Path, texts: list[str], operators: list[str] | None = None) -> Path:
    """ARCEP's 2020+ per-commune CSV: names as given; ``operators`` fill the operator lists."""
    header = ["Code commune", "Nom commune", "Code département", "Code région", "Siren EPCI",
              "EPCI AMII", "Logements", "Établissements", "Meilleure estimation des locaux T4 2020",
              "Engagements L. 33-13 et AMEL", "OI T4 2020", "T3 2020", "T4 2020"]
    codes = operators or [OPERATOR] * len(texts)
    rows = [[insee(i), text, "59", "32", "200093201", "-", 100, 0, 100, code, code, 40, 50]
            for i, (text, code) in enumerate(zip(texts, codes, strict=True))]
    return _csv(path, header, rows, before=[["Titre"], ["Sous-titre"], [], []])


COMMITMENT_COLUMNS = ["agreement_id", "agreement_name", "operator_code", "operator_name",
                      "signed_on", "source_document", "commune_insee", "metric", "target",
                      "due_on", "rad_cap"]


def commitments(path: Path, texts: list[str], ids: list[str] | None = None,
                operator: str = OPERATOR, perimeter_milestones: int | None = None) -> Path:
    """One agreement of ``operator`` per text (its name, operator name and source document),
    with a perimeter commune and a connectable-share milestone: over the perimeter for the
    first ``perimeter_milestones`` agreements (all when None), else for the commune (each
    perimeter milestone is a chart panel of the operator-delay report); ``ids`` replaces the
    agreement ids."""
    rows = []
    for i, text in enumerate(texts):
        agreement = [(ids or [])[i] if ids else f"HOSTILE-{i:02d}", text, operator, text,
                     "2018-07-26", text]
        whole = perimeter_milestones is None or i < perimeter_milestones
        rows.append([*agreement, insee(i), "perimeter", "", "", ""])
        rows.append([*agreement, "" if whole else insee(i), "ftth_connectable_share", "80%",
                     "2020-12-31", ""])
    return _csv(path, COMMITMENT_COLUMNS, rows)


IPE_HEADER = ["IdentifiantImmeuble", "CodeAdresseImmeuble", "CodeInseeImmeuble",
              "CodePostalImmeuble", "CommuneImmeuble", "NumeroVoieImmeuble", "TypeVoieImmeuble",
              "NomVoieImmeuble", "NombreLogementsAdresseIPE", "EtatImmeuble", "TypeImmeuble",
              "TypeProjectionGeographique", "CoordonneeImmeubleX", "CoordonneeImmeubleY",
              "DateSignatureConvention", "DateDerniereModification", "CodeOI", "ReferencePM",
              "EtatPM", "DateMiseEnServiceCommercialePM"]


def ipe(path: Path, texts: list[str], ids: list[str] | None = None) -> Path:
    """An IPE file (``;``, WGS84 coordinates): street, commune, address code and PM reference
    carry the texts; ``ids`` replaces the building identifiers."""
    rows = []
    for i, text in enumerate(texts):
        lon, lat = centre(i)
        rows.append([(ids or [])[i] if ids else f"IMB/{insee(i)}/X/{i:04d}", text, insee(i),
                     "59000", text, str(i + 1), text, text, "2", "DEPLOYE", "PAVILLON", "WGS84",
                     lon, lat, "20170301", "20231120", OPERATOR, text, "DEPLOYE", "20180115"])
    return _csv(path, IPE_HEADER, rows, sep=";")


ARCEP_BUILDINGS_HEADER = ["x", "y", "imb_id", "num_voie", "cp_no_voie", "type_voie", "nom_voie",
                          "batiment", "code_insee", "code_poste", "nom_com", "catg_loc_imb",
                          "imb_etat", "pm_ref", "pm_etat", "code_l331", "geom_mod", "type_imb",
                          "date_completude"]


def arcep_buildings(path: Path, texts: list[str], ids: list[str] | None = None) -> Path:
    """ARCEP's building file (name carries the quarter): street, building, commune, PM ref."""
    rows = []
    for i, text in enumerate(texts):
        lon, lat = centre(i)
        rows.append([lon, lat, (ids or [])[i] if ids else f"IMB/{insee(i)}/Y/{i:04d}", "1", text,
                     text, text, text, insee(i), "59000", text, "individuel", "deploye", text,
                     "deploye", OPERATOR, text, "PA", "2019-03-15"])
    return _csv(path, ARCEP_BUILDINGS_HEADER, rows)


ANFR_HEADERS = {
    "SUP_SUPPORT": ["SUP_ID", "STA_NM_ANFR", "NAT_ID", "COR_NB_DG_LAT", "COR_NB_MN_LAT",
                    "COR_NB_SC_LAT", "COR_CD_NS_LAT", "COR_NB_DG_LON", "COR_NB_MN_LON",
                    "COR_NB_SC_LON", "COR_CD_EW_LON", "SUP_NM_HAUT", "TPO_ID", "ADR_LB_LIEU",
                    "ADR_LB_ADD1", "ADR_LB_ADD2", "ADR_LB_ADD3", "ADR_NM_CP", "COM_CD_INSEE"],
    "SUP_STATION": ["STA_NM_ANFR", "ADM_ID", "DEM_NM_COMSIS", "DTE_IMPLANTATION", "DTE_MODIF",
                    "DTE_EN_SERVICE"],
    "SUP_EMETTEUR": ["EMR_ID", "EMR_LB_SYSTEME", "STA_NM_ANFR", "AER_ID", "EMR_DT_SERVICE"],
    "SUP_EXPLOITANT": ["ADM_ID", "ADM_LB_NOM"],
    "SUP_BANDE": ["STA_NM_ANFR", "BAN_ID", "EMR_ID", "BAN_NB_F_DEB", "BAN_NB_F_FIN",
                  "BAN_FG_UNITE"],
}


def _dms(value: float) -> list[str]:
    degrees, rest = int(value), (value - int(value)) * 60
    return [str(degrees), str(int(rest)), f"{(rest - int(rest)) * 60:.1f}".replace(".", ",")]


def anfr_zip(path: Path, texts: list[str]) -> Path:
    """The ANFR export (UTF-8 tables): one station per text, its licensee named by the text,
    its support's place and address lines the text."""
    tables: dict[str, list[list[object]]] = {name: [] for name in ANFR_HEADERS}
    for i, text in enumerate(texts):
        lon, lat = centre(i)
        station = f"059{i:07d}"
        tables["SUP_SUPPORT"].append([i + 1, station, 11, *_dms(lat), "N", *_dms(lon), "E", 30, 1,
                                      text, text, text, text, "59000", insee(i)])
        tables["SUP_STATION"].append([station, 100 + i, i, "01/02/2010", "", "01/06/2010"])
        tables["SUP_EMETTEUR"].append([i + 1, "5G NR 3500", station, i + 1, "15/03/2021"])
        tables["SUP_EXPLOITANT"].append([100 + i, text])
    with zipfile.ZipFile(path, "w") as archive:
        for name, header in ANFR_HEADERS.items():
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(tables[name])
            archive.writestr(f"{name}.txt", buffer.getvalue().encode("utf-8"))
    return path


ARCEP_SITES_HEADER = ["code_op", "nom_op", "num_site", "id_site_partage", "id_station_anfr", "x",
                      "y", "latitude", "longitude", "nom_com", "insee_com", "site_2g", "site_3g",
                      "site_4g", "site_5g", "site_capa_240mbps", "date_ouverturecommerciale_5g",
                      "site_5g_700_m_hz", "site_5g_800_m_hz", "site_5g_1800_m_hz",
                      "site_5g_2100_m_hz", "site_5g_3500_m_hz"]


def arcep_sites(path: Path, texts: list[str]) -> Path:
    """ARCEP's sites CSV (``;``, decimal commas): operator name and commune name the text."""
    rows = []
    for i, text in enumerate(texts):
        lon, lat = centre(i)
        rows.append(["20815", text, f"F{i}", text, "", "", "", str(lat).replace(".", ","),
                     str(lon).replace(".", ","), text, insee(i), 0, 1, 1, 1, 1, "2022-04-01",
                     1, 0, 0, 0, 1])
    return _csv(path, ARCEP_SITES_HEADER, rows, sep=";")


def works_geojson(path: Path, texts: list[str]) -> Path:
    """Works as GeoJSON features: title, owner, types of work and the feature id the text."""
    features = [{"type": "Feature", "id": f"G{i}-{text[:40]}",
                 "properties": {"title": text, "kind": "work-zone", "owner": text,
                                "start": "2026-05-04T06:00:00Z", "end": "2026-12-06T16:00:00Z",
                                "commune": insee(i), "types_of_work": text},
                 "geometry": {"type": "Point", "coordinates": list(centre(i))}}
                for i, text in enumerate(texts)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def works_csv(path: Path, texts: list[str]) -> Path:
    header = ["id", "title", "kind", "owner", "start", "end", "lon", "lat", "commune",
              "types_of_work"]
    rows = [[f"C{i}-{text[:40]}", text, "work-zone", text, "2026-05-04T06:00:00Z",
             "2026-12-06T16:00:00Z", *centre(i), insee(i), text] for i, text in enumerate(texts)]
    return _csv(path, header, rows)


def works_wzdx(path: Path, texts: list[str]) -> Path:
    """A WZDx 4.2 feed: road names, description, data source and publisher the text."""
    features = []
    for i, text in enumerate(texts):
        lon, lat = centre(i)
        features.append({
            "id": f"W{i}-{text[:40]}", "type": "Feature",
            "properties": {
                "core_details": {"data_source_id": str(i), "event_type": "work-zone",
                                 "road_names": [text, f"D{i}"], "direction": "northbound",
                                 "description": text},
                "start_date": "2026-05-04T06:00:00Z", "end_date": "2026-12-06T16:00:00Z",
                "location_method": "channel-device-method", "vehicle_impact": "unknown",
                "is_start_date_verified": False, "is_end_date_verified": False,
                "is_start_position_verified": False, "is_end_position_verified": False},
            "geometry": {"type": "LineString",
                         "coordinates": [[lon - 0.002, lat], [lon + 0.002, lat]]}})
    feed = {"update_date": "2026-05-01T00:00:00Z", "publisher": texts[0], "version": "4.2",
            "data_sources": [{"data_source_id": str(i), "organization_name": text,
                              "update_date": "2026-05-01T00:00:00Z"}
                             for i, text in enumerate(texts)]}
    path.write_text(json.dumps({"feed_info": feed, "type": "FeatureCollection",
                                "features": features}), encoding="utf-8")
    return path


def works_cifs(path: Path, texts: list[str]) -> Path:
    """A Waze CIFS XML feed: incident id, source name, description and street the text.
    Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR) are left out by the caller."""
    incidents = []
    for i, text in enumerate(texts):
        lon, lat = centre(i)
        incidents.append(
            f"  <incident id={quoteattr(f'I{i}-{text[:40]}')}>\n"
            f"    <source><reference>r</reference><name>{escape(text)}</name></source>\n"
            "    <type>ROAD_CLOSED</type>\n"
            f"    <description>{escape(text)}</description>\n"
            f"    <location><street>{escape(text)}</street>"
            f"<polyline>{lat} {lon - 0.002} {lat} {lon + 0.002}</polyline></location>\n"
            "    <starttime>2026-05-04T08:00:00+02:00</starttime>\n"
            "    <endtime>2026-12-06T18:00:00+01:00</endtime>\n"
            "  </incident>")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<incidents>\n'
                    + "\n".join(incidents) + "\n</incidents>\n", encoding="utf-8")
    return path


WORKS = {"geojson": ("works.geojson", works_geojson), "csv": ("works.csv", works_csv),
         "wzdx": ("wzdx.geojson", works_wzdx), "cifs": ("cifs.xml", works_cifs)}
