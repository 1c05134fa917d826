"""``rollout verify FILE.zip``: re-check an evidence bundle (:mod:`reports.evidence_bundle`).

1. Every file the manifest lists is in the zip with its sha256 and size, and the zip holds
   nothing else (bounded: at most :data:`MAX_MEMBERS` members and :data:`MAX_BYTES` bytes
   uncompressed, checked before anything is read).
2. The sources are imported, in their batch order and with their import options, into a
   fresh temporary SpatiaLite database through the project's own importers.
3. The operator-delay CSV is recomputed there with the bundle's parameters and compared
   cell by cell with the bundle's CSV. Batch ids are compared through the mapping of the
   bundle's batches to the re-imported ones; ``milestone_id`` (a database row number, not a
   figure) is not compared.

The first difference found is the result: a :class:`VerificationFailed` naming the file or
the CSV row and column.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reports.evidence_bundle import safe_name
from rollout import evidence

MAX_MEMBERS = 10_000
MAX_BYTES = 8 << 30
NOT_COMPARED = {"milestone_id"}


class VerificationFailed(Exception):
    """The bundle does not hold what its manifest says, or a figure differs."""


@dataclass
class Verified:
    """What was checked, for the command's report."""

    files: int = 0
    sources: int = 0
    rows: int = 0
    cells: int = 0
    lines: list[str] = field(default_factory=list)


def _manifest(archive: zipfile.ZipFile) -> dict:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_BYTES:
        raise VerificationFailed("the zip is larger than a bundle may be: refused unread")
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise VerificationFailed("manifest.json: missing") from None
    except ValueError as exc:
        raise VerificationFailed(f"manifest.json: not JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise VerificationFailed("manifest.json: no list of files")
    return manifest


def check_hashes(archive: zipfile.ZipFile, manifest: dict, result: Verified) -> None:
    """Step 1: every listed file present with its sha256 and size, nothing unlisted."""
    listed = {str(item.get("path")) for item in manifest["files"]}
    for info in archive.infolist():
        if info.filename != "manifest.json" and info.filename not in listed:
            raise VerificationFailed(f"{info.filename}: not listed in manifest.json")
    for item in manifest["files"]:
        path = str(item.get("path"))
        try:
            data = archive.read(path)
        except KeyError:
            raise VerificationFailed(f"{path}: missing from the bundle") from None
        if len(data) != item.get("size"):
            raise VerificationFailed(
                f"{path}: size {len(data)} bytes, manifest says {item.get('size')}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != item.get("sha256"):
            raise VerificationFailed(
                f"{path}: sha256 {digest}, manifest says {item.get('sha256')}")
        result.files += 1
    result.lines.append(f"{result.files} fichiers : sha256 et taille conformes au manifeste")


@contextlib.contextmanager
def _no_alerts() -> Iterator[None]:
    """Re-imports evaluate no alerts: the temporary database has no one to tell."""
    before = os.environ.get("ROLLOUT_ALERTS_AFTER_IMPORT")
    os.environ["ROLLOUT_ALERTS_AFTER_IMPORT"] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("ROLLOUT_ALERTS_AFTER_IMPORT", None)
        else:
            os.environ["ROLLOUT_ALERTS_AFTER_IMPORT"] = before


def _loaders() -> dict[str, Callable]:
    from rollout.importers import arcep, commitments, communes, premises, sites

    def load_premises(engine, path, options, **journal):
        as_of = options.get("as_of")
        return premises.load(engine, path, as_of=dt.date.fromisoformat(as_of) if as_of
                             else None, **journal)

    def plain(module):
        return lambda engine, path, options, **journal: module.load(engine, path, **journal)

    return {"communes": plain(communes), "arcep": plain(arcep), "premises": load_premises,
            "commitments": plain(commitments), "sites": plain(sites)}


def reimport(archive: zipfile.ZipFile, manifest: dict, folder: Path, result: Verified):
    """Step 2: a fresh database holding the bundle's sources; returns (engine, id mapping)."""
    from rollout.db import make_engine
    from rollout.migrate import upgrade

    engine = make_engine(f"sqlite:///{folder / 'verify.sqlite'}")
    upgrade(engine)
    loaders = _loaders()
    mapping: dict[int, int] = {}
    sources = sorted((i for i in manifest["files"] if i.get("role") == "source"),
                     key=lambda i: int(i["batch_id"]))
    with _no_alerts():
        for number, item in enumerate(sources, start=1):
            if item.get("kind") not in loaders:
                raise VerificationFailed(
                    f"{item['path']}: unknown source kind {item.get('kind')!r}")
            place = folder / "sources" / str(number)
            place.mkdir(parents=True)
            name = Path(str(item["path"])).name
            kept = place / name
            kept.write_bytes(archive.read(item["path"]))
            target = kept
            if item.get("folder"):
                target = evidence.restore(kept, place / name.removesuffix(evidence.FOLDER_SUFFIX))
            elif item.get("file_name"):  # importers read dates from the original file name
                target = kept.rename(place / safe_name(str(item["file_name"])))
            outcome = loaders[item["kind"]](engine, target, item.get("import_options") or {},
                                             synthetic=bool(item.get("synthetic")),
                                             display_name=str(item.get("file_name") or name))
            mapping[outcome.batch_id] = int(item["batch_id"])
            result.sources += 1
    result.lines.append(f"{result.sources} sources réimportées dans une base temporaire")
    return engine, mapping


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def compare(bundled: bytes, recomputed: bytes, mapping: dict[int, int], name: str,
            result: Verified) -> None:
    """Step 3: every cell of the recomputed CSV against the bundle's."""
    old, new = _read_csv(bundled), _read_csv(recomputed)
    if not old or old[0] != new[0]:
        raise VerificationFailed(f"{name}: the header differs from the recomputed report")
    header = old[0]
    if len(old) != len(new):
        raise VerificationFailed(
            f"{name}: {len(old) - 1} rows, the recomputed report has {len(new) - 1}")
    for number, (mine, theirs) in enumerate(zip(old[1:], new[1:], strict=True), start=2):
        for column, a, b in zip(header, mine, theirs, strict=True):
            if column in NOT_COMPARED:
                continue
            if column.endswith("_batch_id") and b:
                b = str(mapping.get(int(b), f"?{b}"))
            if a != b:
                raise VerificationFailed(
                    f"{name}: row {number}, column {column}: the bundle says {a!r}, "
                    f"recomputed from the sources: {b!r}")
            result.cells += 1
        result.rows += 1
    result.lines.append(f"{result.rows} lignes, {result.cells} chiffres du CSV identiques au "
                        "recalcul")


def verify_bundle(path: Path) -> Verified:
    """Check the bundle at ``path``; raises :class:`VerificationFailed` at the first difference."""
    from reports import operator_delay_report
    from rollout.db import session_scope

    result = Verified()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise VerificationFailed(f"{path.name}: not a readable zip ({exc})") from None
    with archive, tempfile.TemporaryDirectory(prefix="rollout-verify-") as folder:
        manifest = _manifest(archive)
        check_hashes(archive, manifest, result)
        report = manifest.get("report") or {}
        engine, mapping = reimport(archive, manifest, Path(folder), result)
        try:
            with session_scope(engine) as session:
                recomputed = operator_delay_report(
                    session, str(report["operator"]), dt.date.fromisoformat(report["as_of"]),
                    "csv", str(report.get("lang") or "fr")).payload
        finally:
            engine.dispose()
        compare(archive.read(report["csv"]), recomputed, mapping, report["csv"], result)
    return result
