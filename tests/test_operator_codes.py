"""Operator codes are validated at import and file names reach headers per RFC 6266 (issue 12,
item 8): a code ``x";filename=evil.exe``, ``ΩMEGA`` or ``A/B`` refuses the whole file with one
``file:row: column: value: reason`` line per bad code, journaled; downloads name their file
through one helper; unknown or malformed codes in URLs answer 404."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.http import parse_options_header

from geodata.operator_codes import is_code
from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import ImportBatch, ImportError_, Operator
from tests.builders import SQUARE_A, agreement, write_arcep_2020, write_commitments
from tests.builders import write_communes as write_communes_file
from webmap import create_app
from webmap.disposition import content_disposition

BAD_CODES = ['x";filename=evil.exe', "ΩMEGA", "A/B"]
ARCEP_BUILDINGS_HEADER = ("x,y,imb_id,num_voie,cp_no_voie,type_voie,nom_voie,batiment,code_insee,"
                          "code_poste,nom_com,catg_loc_imb,imb_etat,pm_ref,pm_etat,code_l331,"
                          "geom_mod,type_imb,date_completude")
ARCEP_SITES_HEADER = ("code_op;nom_op;num_site;id_site_partage;id_station_anfr;x;y;latitude;"
                      "longitude;nom_com;insee_com;site_2g;site_3g;site_4g;site_5g;"
                      "site_capa_240mbps;date_ouverturecommerciale_5g;site_5g_700_m_hz;"
                      "site_5g_800_m_hz;site_5g_1800_m_hz;site_5g_2100_m_hz;site_5g_3500_m_hz")


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


def test_code_shapes() -> None:
    assert is_code("FRTE", ["fixed"]) and is_code("THD5", ["fixed"])
    assert not is_code("frte", ["fixed"]) and not is_code("FRTEX", ["fixed"])
    assert is_code("20801", ["mobile"]) and not is_code("2080", ["mobile"])
    assert not is_code("２０８０１", ["mobile"])  # full-width digits are not ASCII digits
    assert is_code("TELEDIFFUSION_DE", ["licensee"])
    for code in BAD_CODES:
        assert not is_code(code, ["fixed", "mobile", "licensee"])


def _commitments(path: Path) -> Path:
    return write_commitments(path, [
        {**agreement(agreement_id=f"A{i}", operator_code=code), "commune_insee": "59001",
         "metric": "perimeter"} for i, code in enumerate(BAD_CODES)])


def _arcep(path: Path) -> Path:
    write_arcep_2020(path, "T4 2020", {"59001": 100}, ["T4 2020"], {"59001": [50]})
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[5][10] = " - ".join(BAD_CODES)  # the OI column, codes joined by '-' as ARCEP does
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _buildings(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(ARCEP_BUILDINGS_HEADER.split(","))
        for i, code in enumerate(BAD_CODES):
            writer.writerow(["3.007", "50.604", f"IMB/59001/X/{i:04d}", "1", "", "RUE", "DU TEST",
                             "", "59001", "59000", "Aa", "individuel", "deploye", "FI-1",
                             "deploye", code, "", "PA", "2019-03-15"])
    return path


def _sites(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(ARCEP_SITES_HEADER.split(";"))
        for i, code in enumerate(BAD_CODES):
            writer.writerow([code, "Opérateur", f"S{i}", "", "", "", "", "50,6045", "3,007", "Aa",
                             "59001", "0", "1", "1", "1", "1", "2022-04-01", "1", "0", "0", "0",
                             "1"])
    return path


FILES = {
    "commitments": ("commitments.csv", _commitments, "operator_code"),
    "arcep": ("arcep_2020.csv", _arcep, "OI T4 2020"),
    "premises": ("carte_fibre_immeubles_2024_Q3.csv", _buildings, "code_l331"),
    "sites": ("2024_T3_sites_Metropole.csv", _sites, "code_op"),
}


@pytest.mark.parametrize("kind", list(FILES))
def test_bad_operator_code_refuses_the_file(kind: str, db_url: str, tmp_path: Path) -> None:
    communes = write_communes_file(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A)})
    assert cli(db_url, "import", "communes", str(communes)).exit_code == 0
    name, build, column = FILES[kind]
    path = build(tmp_path / name)
    result = cli(db_url, "import", kind, str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines()
             if f"column {column!r}: value " in line]
    assert [line.split(": value ")[1].split(": not ")[0] for line in lines] == \
        [repr(code) for code in BAD_CODES]
    assert all(line.startswith(f"{name}:") and ": not " in line for line in lines)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        status = session.execute(select(ImportBatch.kind, ImportBatch.status)
                                 .order_by(ImportBatch.id)).all()[-1]
        journaled = session.scalars(select(ImportError_.value)).all()
        operators = session.scalars(select(Operator.code)).all()
    engine.dispose()
    assert tuple(status) == (kind, "rejected")
    assert set(BAD_CODES) <= set(journaled)
    assert not set(BAD_CODES) & set(operators)


@pytest.mark.parametrize("name", ['retard-x";filename=evil.exe-2023-01-01.csv',
                                  "retard-ΩMEGA-2023-01-01.pdf", "commune-59350-2023-01-01.pdf"])
def test_content_disposition_is_rfc_6266(name: str) -> None:
    header = content_disposition(name, inline=name.endswith(".pdf"))
    kind, options = parse_options_header(header)
    assert kind == ("inline" if name.endswith(".pdf") else "attachment")
    assert options["filename"] == name  # werkzeug prefers filename* as browsers do
    fallback = header.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and not set(fallback) & set('"\\;/ \r\n')
    assert unquote(header.split("filename*=UTF-8''")[1]) == name
    assert header.count(";") == 2


@pytest.fixture(scope="module")
def legal_client(demo_url):
    from tests.web_login import sign_in

    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test"})
    client = app.test_client()
    sign_in(client, "legal")
    yield client
    app.extensions["rollout_engine"].dispose()


def test_downloads_name_their_file_through_the_helper(legal_client) -> None:
    for path, name in (("/operators/FRTE/delay-report.csv?as_of=2023-01-01",
                        "retard-FRTE-2023-01-01.csv"),
                       ("/communes.csv?as_of=2023-01-01", "communes-2023-01-01.csv"),
                       ("/export.gpkg?as_of=2023-01-01", "rollout-2023-01-01.gpkg")):
        response = legal_client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Disposition"] == content_disposition(name)


@pytest.mark.parametrize("code", ["%CE%A9MEGA", "A%2FB", "x%22%3Bfilename%3Devil.exe", "ZZZZ"])
def test_unknown_or_malformed_codes_answer_404(legal_client, code: str) -> None:
    for path in (f"/operators/{code}", f"/operators/{code}/delay-report.pdf",
                 f"/operators/{code}/delay-report.csv"):
        response = legal_client.get(path)
        assert response.status_code == 404, path
        assert "Content-Security-Policy" in response.headers
