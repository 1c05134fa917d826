"""`rollout export gpkg`: the GeoPackage opens with GDAL and holds every layer (empty too)."""

from __future__ import annotations

import datetime as dt

import pyogrio
from click.testing import CliRunner
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import RadioSite


def test_export_gpkg_reads_back_with_gdal(demo_url, tmp_path):
    target = tmp_path / "mel.gpkg"
    result = CliRunner().invoke(
        main, ["--database", demo_url, "export", "gpkg", str(target), "--as-of", "2026-09-30"]
    )
    assert result.exit_code == 0, result.output
    layers = dict(pyogrio.list_layers(target))
    assert layers["communes"] == "MultiPolygon"
    assert {"sites", "works"} <= set(layers)
    communes = pyogrio.read_dataframe(target, layer="communes")
    assert len(communes) == 95
    assert communes.crs.to_epsg() == 4326
    lille = communes[communes["insee"] == "59350"].iloc[0]
    assert lille["name"] == "Lille"
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        # In service on the as-of date; a site without a date is in service at no date shown.
        stations = session.scalar(select(func.count(func.distinct(RadioSite.station_id)))
                                  .where(RadioSite.in_service_on <= dt.date(2026, 9, 30)))
    engine.dispose()
    assert pyogrio.read_info(target, layer="sites")["features"] == stations
