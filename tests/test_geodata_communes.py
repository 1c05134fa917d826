"""Tests of the communes reader on the real MEL boundaries, rewritten in the formats met.

Expected figures were read by hand from rollout/demo_data/real/mel_communes.csv
(Lille: line 50, population municipale 2023 = 238246; Deûlémont 59173: 1778).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geodata.communes import read_communes
from geodata.errors import InputError

REAL = Path(__file__).resolve().parents[1] / "rollout" / "demo_data" / "real"
MEL = REAL / "mel_communes.geojson"
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@pytest.fixture(scope="module")
def mel() -> gpd.GeoDataFrame:
    return gpd.read_file(MEL)


def _ign_style(mel: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The MEL communes with IGN Admin Express field names, in Lambert-93."""
    frame = mel.rename(columns={"code_insee": "INSEE_COM", "name": "NOM",
                                "population_municipale_2023": "POPULATION",
                                "epci_siren": "SIREN_EPCI"})
    return frame[["INSEE_COM", "NOM", "POPULATION", "SIREN_EPCI", "geometry"]].to_crs(2154)


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, encoding: str, cpg: str | None) -> Path:
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    cpg_path = path.with_suffix(".cpg")
    if cpg is None:
        cpg_path.unlink(missing_ok=True)
    else:
        cpg_path.write_text(cpg)
    return path


def _row(read, insee: str):
    return read.frame[read.frame["insee"] == insee].iloc[0]


def _feature_collection(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(code: object, name: str, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": {"code_insee": code, "nom": name},
            "geometry": geometry}


def _square(x: float, y: float, size: float = 0.01) -> dict:
    return shapely.geometry.mapping(shapely.box(x, y, x + size, y + size))


def test_real_mel_geojson():
    read = read_communes(MEL)
    frame = read.frame
    assert len(frame) == 95
    assert (read.id_field, read.name_field) == ("code_insee", "name")
    # Municipale before totale, latest vintage first.
    assert read.population_field == "population_municipale_2023"
    assert read.source_crs == "EPSG:4326"
    assert frame.crs.to_epsg() == 4326
    lille = _row(read, "59350")
    assert (lille["name"], lille["population"], lille["epci_siren"]) == (
        "Lille", 238246, "200093201")
    assert lille["source_row"] == 49  # 50th line of the CSV = 49th feature
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert str(frame["population"].dtype) == "Int64"
    assert _row(read, "59173")["name"] == "Deûlémont"


def test_lambert93_geopackage_with_layers(tmp_path, mel):
    path = tmp_path / "communes.gpkg"
    _ign_style(mel).to_file(path, layer="communes", engine="pyogrio")
    read = read_communes(path)
    assert read.source_crs == "EPSG:2154"
    assert (read.id_field, read.name_field, read.population_field) == (
        "INSEE_COM", "NOM", "POPULATION")
    original = mel[mel["code_insee"] == "59350"].geometry.iloc[0]
    back = _row(read, "59350").geometry
    assert back.symmetric_difference(original).area < 1e-9 * original.area + 1e-12
    # A second layer makes the choice explicit.
    mel.iloc[:3].to_file(path, layer="other", engine="pyogrio")
    with pytest.raises(InputError) as info:
        read_communes(path)
    assert info.value.code == "ambiguous_layer"
    assert "communes" in str(info.value) and "other" in str(info.value)
    assert len(read_communes(path, layer="other").frame) == 3
    with pytest.raises(InputError) as info:
        read_communes(path, layer="nope")
    assert info.value.code == "unknown_layer"


def test_latin1_shapefile_declared_utf8(tmp_path, mel):
    # ISO-8859-1 has no 'œ': the three Barœul/Annœullin names are spelt 'oe' here.
    frame = _ign_style(mel)
    frame["NOM"] = frame["NOM"].str.replace("œ", "oe")
    path = _write_shapefile(frame, tmp_path / "communes.shp", "ISO-8859-1", cpg="UTF-8")
    assert "Deûlémont".encode("latin-1") in path.with_suffix(".dbf").read_bytes()
    read = read_communes(path)
    assert _row(read, "59173")["name"] == "Deûlémont"
    assert _row(read, "59482")["name"] == "Quesnoy-sur-Deûle"
    assert read.source_crs == "EPSG:2154"
    assert any("encoding" in w for w in read.warnings)


def test_cp1252_shapefile_without_cpg(tmp_path, mel):
    path = _write_shapefile(_ign_style(mel), tmp_path / "c.shp", "CP1252", cpg=None)
    read = read_communes(path)
    assert _row(read, "59011")["name"] == "Annœullin"
    assert _row(read, "59173")["name"] == "Deûlémont"


def test_utf8_shapefile_declared_latin1(tmp_path, mel):
    path = _write_shapefile(_ign_style(mel), tmp_path / "u.shp", "UTF-8", cpg="ISO-8859-1")
    read = read_communes(path)
    assert _row(read, "59173")["name"] == "Deûlémont"
    assert _row(read, "59011")["name"] == "Annœullin"


def test_zipped_shapefile_in_a_folder(tmp_path, mel):
    shp = _write_shapefile(_ign_style(mel), tmp_path / "COMMUNE.shp", "UTF-8", cpg="UTF-8")
    archive = tmp_path / "ADMIN-EXPRESS.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for suffix in SHAPEFILE_PARTS:
            zf.write(shp.with_suffix(suffix), f"ADMIN-EXPRESS/COMMUNE{suffix}")
    read = read_communes(archive)
    assert len(read.frame) == 95
    assert read.source_crs == "EPSG:2154"
    assert _row(read, "59350")["population"] == 238246


def test_missing_crs_guessed(tmp_path, mel):
    path = _write_shapefile(_ign_style(mel), tmp_path / "noprj.shp", "UTF-8", cpg="UTF-8")
    path.with_suffix(".prj").unlink()
    read = read_communes(path)
    assert read.source_crs == "EPSG:2154"
    assert any("Lambert-93" in w for w in read.warnings)
    original = mel[mel["code_insee"] == "59350"].geometry.iloc[0]
    assert _row(read, "59350").geometry.centroid.distance(original.centroid) < 1e-6


def test_missing_crs_unrecognisable(tmp_path, mel):
    frame = _ign_style(mel)
    frame = frame.set_geometry(frame.geometry.translate(xoff=5_000_000))
    path = _write_shapefile(frame, tmp_path / "far.shp", "UTF-8", cpg="UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputError) as info:
        read_communes(path)
    assert info.value.code == "unknown_crs"


def test_numeric_insee_field(tmp_path, mel):
    frame = mel[["code_insee", "name", "geometry"]].iloc[:2].copy()
    frame["code_insee"] = [1001, 59350]  # an Ain code has lost its leading zero
    path = tmp_path / "n.gpkg"
    frame.to_file(path, engine="pyogrio")
    assert pyogrio.read_info(path)["dtypes"][0].startswith("int")
    read = read_communes(path)
    assert list(read.frame["insee"]) == ["01001", "59350"]
    assert read.population_field is None
    assert read.frame["population"].isna().all()


def test_corsican_code_kept(tmp_path):
    ajaccio = _feature("2A004", "Ajaccio", _square(8.7, 41.9))
    path = _feature_collection(tmp_path / "c.geojson", [ajaccio])
    assert list(read_communes(path).frame["insee"]) == ["2A004"]


def test_bowtie_repaired_and_counted(tmp_path):
    ring = [[3, 50], [3.1, 50.1], [3.1, 50], [3, 50.1], [3, 50]]
    path = _feature_collection(tmp_path / "b.geojson", [
        _feature("59350", "Lille", {"type": "Polygon", "coordinates": [ring]}),
        _feature("59009", "Villeneuve-d'Ascq", _square(3.2, 50.6)),
    ])
    read = read_communes(path)
    assert read.repaired == 1
    geometry = _row(read, "59350").geometry
    assert isinstance(geometry, MultiPolygon) and geometry.is_valid
    assert len(geometry.geoms) == 2
    # Two triangles of half-diagonals: 2 x (0.1 x 0.05 / 2).
    assert geometry.area == pytest.approx(0.005)
    assert isinstance(_row(read, "59009").geometry, MultiPolygon)


def test_overrides(tmp_path, mel):
    frame = mel.rename(columns={"code_insee": "cog", "name": "libgeo"})
    path = tmp_path / "o.geojson"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(InputError) as info:
        read_communes(path)
    assert info.value.code == "missing_field"
    assert "code_insee" in str(info.value) and "'cog'" in str(info.value)
    read = read_communes(path, id_field="cog", name_field="libgeo")
    assert (read.id_field, read.name_field) == ("cog", "libgeo")
    assert _row(read, "59350")["name"] == "Lille"
    with pytest.raises(InputError) as info:
        read_communes(path, id_field="insee_code")
    assert "'insee_code'" in str(info.value) and "'libgeo'" in str(info.value)


def test_feature_problems_located(tmp_path):
    path = _feature_collection(tmp_path / "p.geojson", [
        _feature("59350", "Lille", _square(3.0, 50.6)),
        _feature("5935X", "Lille", _square(3.1, 50.6)),
        _feature("59350", "Lille bis", _square(3.2, 50.6)),
        _feature("59009", "Villeneuve-d'Ascq", None),
    ])
    with pytest.raises(InputError) as info:
        read_communes(path)
    found = [(p.row, p.column, p.value) for p in info.value.problems]
    assert found == [(2, "code_insee", "5935X"), (3, "code_insee", "59350"), (4, "geometry", None)]
    assert "feature 1" in info.value.problems[1].reason


def test_line_geometry_refused(tmp_path):
    line = {"type": "LineString", "coordinates": [[3, 50], [3.1, 50.1]]}
    path = _feature_collection(tmp_path / "l.geojson", [_feature("59350", "Lille", line)])
    with pytest.raises(InputError) as info:
        read_communes(path)
    assert "LineString" in info.value.problems[0].reason


@pytest.mark.parametrize(("name", "content", "code"), [
    ("garbage.geojson", bytes(range(256)) * 8, "unreadable"),
    ("notes.txt", b"hello world\n", "unreadable"),
    ("empty.geojson", b'{"type": "FeatureCollection", "features": []}', "empty_file"),
    ("broken.zip", b"PK\x03\x04 not really", "unreadable"),
])
def test_unusable_files(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_communes(path)
    assert info.value.code == code
    assert info.value.problems[0].file == name


def test_missing_file(tmp_path):
    with pytest.raises(InputError):
        read_communes(tmp_path / "nope.gpkg")


def test_polygon_becomes_multipolygon(mel):
    assert set(mel.geom_type) == {"Polygon"}  # the real file holds plain Polygons
    read = read_communes(MEL)
    lille = _row(read, "59350").geometry
    original = mel[mel["code_insee"] == "59350"].geometry.iloc[0]
    assert isinstance(original, Polygon) and lille.equals(MultiPolygon([original]))
