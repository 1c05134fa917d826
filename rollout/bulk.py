"""PostgreSQL/PostGIS push-down: COPY bulk loads and the premises joins and totals in SQL.

``COPY ... FROM STDIN (FORMAT csv)`` through psycopg's copy protocol, inside the import's
transaction (the import stays all or nothing). The CSV payload is written by Arrow; points
travel as hex EWKB built by shapely, so no per-row Python work is left.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection

from geodata.premises import RAD_STATUSES
from rollout.models import SRID

_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")
POINT_COLUMNS = ("building_id", "operator_code", "insee", "premises", "premises_estimated",
                 "status", "status_date", "observed_on", "batch_id", "source_row", "geom")
_RAD_LIST = ", ".join(f"'{s}'" for s in RAD_STATUSES)  # fixed vocabulary, not user input
PROGRESS_COLUMNS = ("insee", "operator_code", "observed_on", "connectable", "rad",
                    "premises_total", "source", "batch_id", "source_row", "source_column")


def copy_table(connection: Connection, table: str, columns: tuple[str, ...],
               data: pa.Table) -> int:
    """COPY the ``columns`` of an Arrow table (nulls -> NULL) into ``table``."""
    buffer = io.BytesIO()
    pacsv.write_csv(data.select(list(columns)), buffer, _CSV)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getbuffer())
    return data.num_rows


def copy_points(connection: Connection, chunk: pd.DataFrame, batch_id: int,
                as_of: dt.date) -> int:
    """COPY a canonical premises chunk (``insee`` may be NA) into ``premises_point``."""
    n = len(chunk)
    points = shapely.points(chunk["lon"].to_numpy(dtype=float), chunk["lat"].to_numpy(dtype=float))
    ewkb = shapely.to_wkb(shapely.set_srid(points, SRID), hex=True, include_srid=True)
    status_date = chunk["status_date"].to_numpy().astype("datetime64[D]")
    data = pa.table({
        "building_id": pa.array(chunk["building_id"].to_numpy(dtype=object), pa.string()),
        "operator_code": _text(chunk["operator_code"]),
        "insee": _text(chunk["insee"]),
        "premises": pa.array(chunk["premises"].to_numpy(dtype=np.int64)),
        "premises_estimated": pa.array(chunk["premises_estimated"].to_numpy(dtype=bool)),
        "status": pa.array(chunk["status"].astype(str).to_numpy(dtype=object), pa.string()),
        "status_date": pa.array(status_date, pa.date32(), mask=np.isnat(status_date)),
        "observed_on": pa.array([as_of] * n, pa.date32()),
        "batch_id": pa.array(np.full(n, batch_id, dtype=np.int64)),
        "source_row": pa.array(chunk["source_row"].to_numpy(dtype=np.int64)),
        "geom": pa.array(ewkb, pa.string()),
    })
    return copy_table(connection, "premises_point", POINT_COLUMNS, data)


def copy_progress(connection: Connection, records: pd.DataFrame) -> int:
    """COPY progress rows (PROGRESS_COLUMNS) into ``ftth_progress``."""
    data = pa.table({
        "insee": _text(records["insee"]),
        "operator_code": _text(records["operator_code"]),
        "observed_on": pa.array(records["observed_on"].tolist(), pa.date32()),
        **{c: pa.array(records[c].to_numpy(dtype=np.int64))
           for c in ("connectable", "rad", "premises_total", "batch_id")},
        "source": _text(records["source"]),
        "source_row": pa.nulls(len(records), pa.int64()),
        "source_column": pa.nulls(len(records), pa.string()),
    })
    return copy_table(connection, "ftth_progress", PROGRESS_COLUMNS, data)


def locate_points(connection: Connection, batch_id: int) -> tuple[int, int]:
    """Spatial join in SQL: INSEE of the batch's points without one, then drop the outsiders.

    Same rule as ``rollout.spatial.CommuneLocator`` (point strictly within the commune);
    returns (points located, points dropped as outside every loaded commune).
    """
    located = connection.execute(text(
        "UPDATE premises_point AS p SET insee = c.insee FROM commune AS c "
        "WHERE p.batch_id = :batch AND p.insee IS NULL AND ST_Within(p.geom, c.geom)"
    ), {"batch": batch_id}).rowcount
    outside = connection.execute(text(
        "DELETE FROM premises_point AS p WHERE p.batch_id = :batch AND (p.insee IS NULL OR "
        "NOT EXISTS (SELECT 1 FROM commune AS c WHERE c.insee = p.insee))"
    ), {"batch": batch_id}).rowcount
    return located, outside


def summarise_points(connection: Connection, batch_id: int) -> pd.DataFrame:
    """Per commune x operator totals of the batch's points, computed by the database.

    Columns as ``geodata.premises.SUMMARY_COLUMNS``, sorted by insee, operator NA last.
    """
    rows = connection.execute(text(
        "SELECT insee, operator_code, sum(premises) AS premises_total, "
        "sum(CASE WHEN status = 'deploye' THEN premises ELSE 0 END) AS connectable, "
        f"sum(CASE WHEN status IN ({_RAD_LIST}) THEN premises ELSE 0 END) AS rad, "
        "sum(CASE WHEN status = 'abandonne' THEN premises ELSE 0 END) AS abandoned, "
        "count(*) AS buildings FROM premises_point WHERE batch_id = :batch "
        "GROUP BY insee, operator_code ORDER BY insee, operator_code NULLS LAST"
    ), {"batch": batch_id}).all()
    frame = pd.DataFrame(rows, columns=["insee", "operator_code", "premises_total",
                                        "connectable", "rad", "abandoned", "buildings"])
    measures = ["premises_total", "connectable", "rad", "abandoned", "buildings"]
    return frame.astype({"insee": "str", "operator_code": "str",
                         **{m: "int64" for m in measures}})


def _text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype(object).where(values.notna(), None).to_numpy(dtype=object),
                    pa.string())
