"""A small database whose every text shown on the map is a hostile payload (issue 12).

Built through the real importers (the ``rollout import`` commands): one commune per payload
named by it, ARCEP figures for each (so the gap circles and popups show), one ARCEP radio
site per payload (its operator name and site number are the payload), and one work per
payload in each works format (GeoJSON title/owner/kind, portal CSV title/owner, CIFS
street/description/source, WZDx road name/description/data source).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from click.testing import CliRunner

from rollout.cli import main
from tests import hostile
from tests.builders import write_arcep_2020, write_communes

SIZE = 0.01  # degrees: each commune is a square of about 1 km
COLUMNS = 7
ORIGIN = (3.0, 50.6)
# Column limits of the database: longer values refuse the file, so payloads are cut to fit.
KIND, OWNER, OPERATOR_NAME, STATION_ID, COMMUNE_NAME = 48, 256, 128, 32, 128


def insee_of(index: int) -> str:
    """The INSEE code of the commune named by payload ``index``."""
    return f"59{index + 1:03d}"


def centre(index: int) -> tuple[float, float]:
    """(lon, lat) of the centre of commune ``index``."""
    row, column = divmod(index, COLUMNS)
    return (ORIGIN[0] + (column + 0.5) * SIZE, ORIGIN[1] + (row + 0.5) * SIZE)


def squeezed(text: str) -> str:
    """``text`` without whitespace, to find a payload however a reader or the browser spaced
    it (some readers strip cells, others keep them; innerText folds spaces)."""
    return re.sub(r"\s", "", text)


def _square(index: int) -> list[list[float]]:
    lon, lat = centre(index)
    h = SIZE / 2
    return [[lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h],
            [lon - h, lat - h]]


def _run(url: str, *args: str) -> None:
    result = CliRunner().invoke(main, ["--database", url, *args])
    assert result.exit_code == 0, result.output or repr(result.exception)


def _file_texts(texts: list[str]) -> list[tuple[int, str]]:
    """The payloads sites and works files can carry: their readers refuse NUL as the sign of
    a binary file (the communes reader keeps it)."""
    return [(i, text) for i, text in enumerate(texts) if "\x00" not in text]


def _works_geojson(path: Path, texts: list[str]) -> Path:
    features = [{"type": "Feature",
                 "properties": {"id": f"G{i}", "title": text, "owner": text[:OWNER],
                                "kind": text[:KIND],
                                "start": "2026-01-05", "end": "2099-12-31"},
                 "geometry": {"type": "Point", "coordinates": list(centre(i))}}
                for i, text in _file_texts(texts)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _works_csv(path: Path, texts: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "owner", "start", "end", "lon", "lat"])
        for i, text in _file_texts(texts):
            lon, lat = centre(i)
            writer.writerow([f"C{i}", text, text[:OWNER], "2020-01-01", "2020-02-01",
                             lon + 0.002, lat])
    return path


def _works_cifs(path: Path, texts: list[str]) -> Path:
    incidents = [{"id": f"I{i}", "type": "ROAD_CLOSED", "subtype": "ROAD_CLOSED_CONSTRUCTION",
                  "description": text, "source": {"name": text[:OWNER]},
                  "location": {"street": text,
                               "polyline": f"{lat:.4f} {lon - 0.003:.4f} {lat:.4f} {lon:.4f}"},
                  "starttime": "2099-01-05T09:00:00+01:00",
                  "endtime": "2099-01-05T17:00:00+01:00"}
                 for i, text in _file_texts(texts) for lon, lat in [centre(i)]]
    path.write_text(json.dumps(incidents), encoding="utf-8")
    return path


def _works_wzdx(path: Path, texts: list[str]) -> Path:
    sources = [{"data_source_id": str(i), "organization_name": text[:OWNER]}
               for i, text in _file_texts(texts)]
    features = [{"id": f"00000000-0000-4000-8000-{i:012d}", "type": "Feature",
                 "properties": {"core_details": {
                     "data_source_id": str(i), "event_type": "work-zone",
                     "road_names": [text], "direction": "northbound", "description": text},
                     "start_date": "2026-01-01T01:00:00Z", "end_date": "2099-01-02T01:00:00Z",
                     "location_method": "channel-device-method",
                     "is_start_date_verified": False, "is_end_date_verified": False,
                     "is_start_position_verified": False, "is_end_position_verified": False,
                     "vehicle_impact": "some-lanes-closed"},
                 "geometry": {"type": "LineString", "coordinates": [
                     [lon, lat - 0.003], [lon, lat + 0.003]]}}
                for i, text in _file_texts(texts) for lon, lat in [centre(i)]]
    feed = {"feed_info": {"update_date": "2026-01-01T00:00:00Z", "publisher": "hostile",
                          "version": "4.2", "data_sources": sources},
            "type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(feed), encoding="utf-8")
    return path


def _sites_csv(path: Path, texts: list[str]) -> Path:
    header = ["code_op", "nom_op", "num_site", "latitude", "longitude", "insee_com",
              "site_2g", "site_3g", "site_4g", "site_5g", "date_ouverturecommerciale_5g"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        for i, text in _file_texts(texts):
            lon, lat = centre(i)
            writer.writerow(["20801", text[:OPERATOR_NAME], text[:STATION_ID], lat + 0.002,
                             lon + 0.002, insee_of(i), 0, 0, 1, 1, "2021-01-01"])
    return path


def build(url: str, folder: Path, payloads: list[hostile.Payload] = hostile.PAYLOADS) -> None:
    """Import the hostile map data into the (initialised) database at ``url``."""
    texts = [p.text for p in payloads]
    # The communes reader refuses NUL like the sites and works readers (tests/hostile_files.py
    # checks that refusal): that payload's commune is named without it.
    communes = {insee_of(i): (text.replace("\x00", "")[:COMMUNE_NAME], _square(i))
                for i, text in enumerate(texts)}
    _run(url, "import", "communes", str(write_communes(folder / "communes.geojson", communes)))
    codes = list(communes)
    _run(url, "import", "arcep", str(write_arcep_2020(
        folder / "2026t1-obs-thd.csv", "T1 2026", {c: 100 for c in codes}, ["T1 2026"],
        {c: [40] for c in codes})))
    _run(url, "import", "sites", str(_sites_csv(folder / "2026_T1_sites_Metropole.csv", texts)))
    for name, writer, fmt in [("works.geojson", _works_geojson, "geojson"),
                              ("chantiers.csv", _works_csv, "csv"),
                              ("cifs.json", _works_cifs, "cifs"),
                              ("wzdx.geojson", _works_wzdx, "wzdx")]:
        _run(url, "import", "works", str(writer(folder / name, texts)), "--format", fmt)
