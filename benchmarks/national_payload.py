"""Benchmark: GeoJSON payload of the national commune layer by bbox, simplified per zoom or not.

    python benchmarks/national_payload.py [--communes 35000] [--out DIR]

Generates (once, in ``DIR`` or a temp folder) the communes of benchmarks/make_national.py
(about 80 vertices each, shared borders exact), then serves three map views the way the API
does: communes whose bounding box meets the view's bbox, at the view's zoom, through
``rollout.simplified_layers.SimplifiedCommunes`` (``shapely.coverage_simplify`` with half a pixel of
tolerance, cached per zoom), against the same communes at full detail. Payload = the bytes
of the GeoJSON FeatureCollection (``insee`` property, coordinates rounded to 6 decimals).
Ends with ``national_payload_ratio=<full/simplified> regional_payload_ratio=<full/simplified>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_national import generate  # noqa: E402
from geodata.communes import read_communes  # noqa: E402
from rollout.simplified_layers import SimplifiedCommunes, zoom_tolerance  # noqa: E402

VIEWS = {  # name: (bbox west, south, east, north; zoom of a 1280 x 800 map showing it)
    "national": ((-4.8, 42.4, 8.2, 51.0), 6),
    "regional": ((1.4, 49.0, 4.3, 51.1), 8),
    "departmental": ((2.8, 50.4, 3.4, 50.8), 10),
}


def payload(frame) -> bytes:
    """The GeoJSON an API would send: insee + geometry, 6 decimals."""
    features = [
        {"type": "Feature", "properties": {"insee": insee},
         "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-6)))}
        for insee, geom in zip(frame["insee"], frame.geometry, strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--out", type=Path, help="folder for the generated data (kept)")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="rollout-payload-"))
    folder = base / f"national-{args.communes}-communes"
    if not (folder / "communes.geojson").exists():
        generate(folder, communes=args.communes, rows=0, parts=("communes",))
    communes = read_communes(folder / "communes.geojson").frame
    print(f"{len(communes):,} communes, "
          f"{int(shapely.get_num_coordinates(communes.geometry.to_numpy()).sum()):,} vertices")
    layer = SimplifiedCommunes(communes)
    full = SimplifiedCommunes(communes, full_zoom=0)
    ratios = {}
    for name, (bbox, zoom) in VIEWS.items():
        start = time.perf_counter()
        simple = layer.in_bbox(bbox, zoom)
        first = time.perf_counter() - start
        start = time.perf_counter()
        layer.in_bbox(bbox, zoom)
        cached = time.perf_counter() - start
        detailed = full.in_bbox(bbox, zoom)
        small, big = len(payload(simple)), len(payload(detailed))
        vertices = int(np.sum(shapely.get_num_coordinates(simple.geometry.to_numpy())))
        ratios[name] = big / small
        print(f"{name:12} zoom {zoom:2} tolerance {zoom_tolerance(zoom):.5f} deg: "
              f"{len(simple):,} communes, {vertices:,} vertices, "
              f"{small / 1e6:6.2f} MB simplified vs {big / 1e6:6.2f} MB full "
              f"({big / small:.1f}x smaller); simplified in {first:.2f} s, cached {cached:.3f} s")
        assert shapely.coverage_is_valid(simple.geometry.to_numpy()), "borders no longer shared"
    print(f"national_payload_ratio={ratios['national']:.1f} "
          f"regional_payload_ratio={ratios['regional']:.1f}")


if __name__ == "__main__":
    main()
