"""Every importer against the hostile corpus (issue 12), both backends, through `rollout import`:
each payload is stored literally (surrounding whitespace trimmed, as readers trim every cell)
or the file is refused cleanly — exit 2, one `file:row: column: value: reason` line, a
`rejected` journal entry, no data changed.

Per field: names, titles, descriptions, owners, addresses and documents are stored as given;
NUL refuses any file; a text longer than its column (commune name 128, agreement name 256,
operator name 128, works owner 256, building id 64…) refuses the file; text held in a
``Text`` column (works titles, source documents) has no limit but the bombs'.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from rollout.db import make_engine, session_scope
from rollout.models import (
    Agreement,
    Commune,
    ImportBatch,
    ImportError_,
    Operator,
    PublicWork,
    RadioSite,
)
from tests import hostile
from tests import hostile_files as hf
from tests.hostile_corpus import AGREEMENT_OPERATOR, KEPT, XML_TEXTS, cli

NUL = hostile.by_name("nul").text
HUGE = hostile.by_name("ten_thousand_wide").text


def _rows(url: str, *columns, order=None) -> list[tuple]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        query = select(*columns)
        rows = [tuple(r) for r in session.execute(
            query.order_by(order) if order is not None else query).all()]
    engine.dispose()
    return rows


def test_names_and_documents_stored_literally(hostile_db) -> None:
    url = hostile_db.url
    assert [r[0] for r in _rows(url, Commune.name, order=Commune.insee)] == KEPT
    agreements = _rows(url, Agreement.name, Agreement.source_document, order=Agreement.id)
    assert agreements == [(t, t) for t in KEPT]
    assert _rows(url, Operator.name).count((KEPT[0],)) >= 1
    assert (AGREEMENT_OPERATOR, KEPT[0]) in _rows(url, Operator.code, Operator.name)


def test_radio_sites_keep_operator_names(hostile_db) -> None:
    names = _rows(hostile_db.url, RadioSite.operator_name, order=RadioSite.id)
    assert [n for (n,) in names] == KEPT + KEPT  # the ANFR export, then ARCEP's sites file
    codes = {c for (c,) in _rows(hostile_db.url, RadioSite.operator_code)}
    assert all(c.isascii() and c.replace("_", "").isalnum() and len(c) <= 16 for c in codes)


def test_works_keep_titles_and_owners_in_every_format(hostile_db) -> None:
    rows = _rows(hostile_db.url, PublicWork.source_format, PublicWork.title, PublicWork.owner,
                 order=PublicWork.id)
    by_format: dict[str, list[tuple]] = {}
    for fmt, title, owner in rows:
        by_format.setdefault(fmt, []).append((title, owner))
    assert by_format["geojson"] == [(t, t) for t in KEPT]
    assert by_format["csv"] == [(t, t) for t in KEPT]
    texts = hostile_db.texts  # WZDx values are JSON strings, kept exactly (not trimmed)
    assert [o for _, o in by_format["wzdx"]] == texts
    assert [t for t, _ in by_format["wzdx"]] == [f"{t} / D{i}: {t}" for i, t in enumerate(texts)]
    xml_kept = [k for k, text in zip(KEPT, texts, strict=True) if text in XML_TEXTS]
    assert by_format["cifs"] == [(f"{t} — {t}", t) for t in xml_kept]  # street — description


def test_shapefile_names_stored_literally(db_url: str, tmp_path: Path) -> None:
    fits = [t for t in hostile_db_texts() if len(t.encode("utf-8")) <= 254]  # DBF field width
    path = hf.communes_shapefile(tmp_path / "communes.zip", fits)
    result = cli(db_url, "import", "communes", str(path))
    assert result.exit_code == 0, result.output
    stored = [n for (n,) in _rows(db_url, Commune.name, order=Commune.insee)]
    assert stored == [t.strip(" \t\r\n\u00a0\u202f") for t in fits]


def hostile_db_texts() -> list[str]:
    from tests.hostile_corpus import TEXTS

    return TEXTS


# kind, file name, writer, the column named in the refusal of the 10,000-character text
# (None: the importer keeps no text of that field, so the file loads).
WRITERS = [
    ("communes", "communes.geojson", hf.communes_geojson, "name"),
    ("arcep", "arcep_2020.csv", hf.arcep_observatory, None),
    ("commitments", "commitments.csv", hf.commitments, "name"),
    ("premises", "ipe_20240115.csv", hf.ipe, None),
    ("premises", "carte_fibre_immeubles_2024_Q3.csv", hf.arcep_buildings, None),
    ("sites", "anfr.zip", hf.anfr_zip, "operator_name"),
    ("sites", "2024_T3_sites_Metropole.csv", hf.arcep_sites, "operator_name"),
    *[("works", name, build, "owner") for name, build in hf.WORKS.values() if name != "cifs.xml"],
]


def _counts(url: str) -> list[int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        counts = [session.scalar(select(func.count()).select_from(model))
                  for model in (Commune, Agreement, RadioSite, PublicWork)]
    engine.dispose()
    return counts


def _refused(url: str, result, kind: str, name: str, *reasons: str) -> list[str]:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith(f"{name}:")]
    assert lines and all(any(r in line for r in reasons) for line in lines), result.output
    batch = _rows(url, ImportBatch.kind, ImportBatch.status, order=ImportBatch.id)[-1]
    assert batch == (kind, "rejected")
    assert _rows(url, func.count(ImportError_.id))[0][0] >= len(lines)
    return lines


@pytest.mark.parametrize(("kind", "name", "build", "column"), WRITERS,
                         ids=[w[1] for w in WRITERS])
def test_nul_and_over_long_texts(kind, name, build, column, db_url: str, tmp_path: Path) -> None:
    if kind != "communes":
        assert cli(db_url, "import", "communes",
                   str(hf.communes_geojson(tmp_path / "c.geojson", ["Aa"]))).exit_code == 0
    before = _counts(db_url)
    nul = cli(db_url, "import", kind, str(build(tmp_path / name, [f"a{NUL}b"])))
    _refused(db_url, nul, kind, name, "NUL character", "not a text file (binary content)")
    (tmp_path / name).unlink()
    huge = cli(db_url, "import", kind, str(build(tmp_path / name, [HUGE])))
    if column is None:
        assert huge.exit_code == 0, huge.output
        return
    lines = _refused(db_url, huge, kind, name, "longer than")
    assert any(f"column {column!r}: value 'ééé" in line and line.endswith("characters")
               for line in lines), lines
    assert all(len(line) < 300 for line in lines)
    assert _counts(db_url) == before


def test_over_long_building_id_refused(db_url: str, tmp_path: Path) -> None:
    # Building files are refused before any commune is loaded: load the one they lie in.
    shapes = hf.communes_geojson(tmp_path / "communes.geojson", ["Commune"])
    assert cli(db_url, "import", "communes", str(shapes)).exit_code == 0
    for name, build in (("ipe_20240115.csv", hf.ipe),
                        ("carte_fibre_immeubles_2024_Q3.csv", hf.arcep_buildings)):
        path = build(tmp_path / name, ["rue"], ids=["IMB/" + "9" * 100])
        result = cli(db_url, "import", "premises", str(path))
        lines = _refused(db_url, result, "premises", name, "longer than 64 characters")
        assert len(lines) == 1 and lines[0].startswith(f"{name}:2: column ")
