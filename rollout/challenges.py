"""Signalements (challenges): someone says a figure, a building, a works item or a site is wrong.

Workflow (issue 16 §1): ``received`` (reçu) -> ``investigating`` (en instruction) ->
``accepted`` (accepté) | ``rejected`` (rejeté) -> ``resolved`` (résolu); an accepted challenge is
resolved by linking the import batch that corrected the figure. Every step has a note and an
author and is written to the audit log in the same transaction.

What is kept: the category (closed list), the free text (data, shown as text everywhere), an
optional evidence file (by sha256), an optional e-mail with explicit consent, and the figure as
shown at submission (value, as-of date, source batch) read from the database at that moment.
Personal data is minimal: the e-mail, the submitter's account name and a keyed hash of the
address (rate limit); :func:`purge` deletes challenges resolved more than the retention ago.
Errors are :class:`ChallengeError` with a user-safe message and the field at fault.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rollout import audit
from rollout.models import (
    Commune,
    FtthProgress,
    ImportBatch,
    PremisesCount,
    PremisesPoint,
    PublicWork,
    RadioSite,
)
from rollout.models_alerts import Challenge, ChallengeStep

# category -> (target kind, French label, English label)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "premises_count": ("commune_figure", "nombre de locaux erroné", "wrong premises count"),
    "connectable_count": ("commune_figure", "nombre de locaux raccordables erroné",
                          "wrong connectable count"),
    "sites_5g_count": ("commune_figure", "nombre de sites 5G erroné", "wrong 5G site count"),
    "building_missing": ("building", "immeuble absent", "building missing"),
    "building_status": ("building", "statut de l'immeuble erroné", "wrong building status"),
    "building_premises": ("building", "nombre de locaux de l'immeuble erroné",
                          "wrong premises count of the building"),
    "works_dates": ("works", "dates des travaux erronées", "wrong works dates"),
    "works_extent": ("works", "emprise des travaux erronée", "wrong works extent"),
    "site_missing": ("site", "site radio absent", "radio site missing"),
    "site_not_in_service": ("site", "site radio pas en service", "radio site not in service"),
}
TARGET_KINDS = ("commune_figure", "building", "works", "site")
STATUSES = ("received", "investigating", "accepted", "rejected", "resolved")
STATUS_LABELS = {
    "fr": {"received": "reçu", "investigating": "en instruction", "accepted": "accepté",
           "rejected": "rejeté", "resolved": "résolu"},
    "en": {"received": "received", "investigating": "under review", "accepted": "accepted",
           "rejected": "rejected", "resolved": "resolved"},
}
NEXT = {"received": ("investigating",), "investigating": ("accepted", "rejected"),
        "accepted": ("resolved",), "rejected": ("resolved",), "resolved": ()}
OPEN = ("received", "investigating", "accepted")
CHANNELS = ("web", "map", "api", "csv")
MAX_TEXT = 10_000
MAX_NOTE = 5_000
MAX_REF = 64
DEFAULT_PER_ADDRESS_PER_DAY = 10
DEFAULT_PER_DAY = 1_000
DEFAULT_RETENTION_DAYS = 365
EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")
OPERATOR = re.compile(r"[A-Za-z0-9]{1,16}")


class ChallengeError(ValueError):
    """A refused submission or step; ``field`` names the input at fault (user-safe)."""

    def __init__(self, field: str, message: str, code: str = "bad_input") -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.code = field, message, code


@dataclass(frozen=True)
class Evidence:
    """An accepted evidence file: its name as given, sha256 and size (stored elsewhere)."""

    name: str
    sha256: str
    size: int


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_digest(address: str | None, key: str) -> str | None:
    """A keyed hash of the client's address: enough to count, not to find the person."""
    if not address:
        return None
    return hmac.new(key.encode(), address.encode(), hashlib.sha256).hexdigest()


def _text(value: Any, field: str, limit: int, required: bool) -> str | None:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ChallengeError(field, "contains a NUL character")
    if len(text) > limit:
        raise ChallengeError(field, f"is {len(text)} characters long; at most {limit}")
    if required and not text.strip():
        raise ChallengeError(field, "is empty")
    return text if text.strip() else None


def _pattern(value: Any, field: str, pattern: re.Pattern, expected: str) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if not pattern.fullmatch(text):
        raise ChallengeError(field, f"was {text[:40]!r}; expected {expected}")
    return text


def _coordinate(value: Any, field: str, low: float, high: float) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise ChallengeError(field, f"was {str(value)[:20]!r}; expected a number") from None
    if not low <= number <= high:
        raise ChallengeError(field, f"was {number}; expected between {low} and {high}")
    return number


def validate(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Check a submission's fields; return the clean values (see :func:`submit`)."""
    category = str(data.get("category") or "")
    if category not in CATEGORIES:
        raise ChallengeError("category", f"was {category[:40]!r}; expected one of "
                                         f"{list(CATEGORIES)}")
    kind = CATEGORIES[category][0]
    clean = {
        "category": category, "target_kind": kind,
        "commune_insee": _pattern(data.get("commune_insee"), "commune_insee", INSEE,
                                  "a 5-character INSEE code"),
        "operator_code": _pattern(data.get("operator_code"), "operator_code", OPERATOR,
                                  "an operator code (letters and digits)"),
        "target_ref": _text(data.get("target_ref"), "target_ref", MAX_REF, False),
        "text": _text(data.get("text"), "text", MAX_TEXT, True),
        "lon": _coordinate(data.get("lon"), "lon", -180, 180),
        "lat": _coordinate(data.get("lat"), "lat", -90, 90),
        "email": _pattern(data.get("email"), "email", EMAIL, "name@domain"),
        "email_consent": str(data.get("email_consent") or "").lower() in ("1", "true", "yes",
                                                                          "on", "oui"),
    }
    if clean["email"] and not clean["email_consent"]:
        raise ChallengeError("email_consent", "an e-mail address needs the consent box ticked")
    if kind in ("building", "works") or category == "site_not_in_service":
        if not clean["target_ref"]:
            raise ChallengeError("target_ref", f"is empty; a {kind} challenge names its id")
    if kind == "commune_figure" and not clean["commune_insee"]:
        raise ChallengeError("commune_insee", "is empty; a figure belongs to a commune")
    if clean["commune_insee"] and session.get(Commune, clean["commune_insee"]) is None:
        raise ChallengeError("commune_insee", f"{clean['commune_insee']!r} is not a loaded "
                                              "commune")
    return clean


def shown_figure(session: Session, clean: dict[str, Any]) -> dict[str, Any]:
    """The figure the submitter saw: value, as-of date, source batch (and commune/operator)."""
    category, ref, insee = clean["category"], clean["target_ref"], clean["commune_insee"]
    row = None
    if category == "premises_count":
        row = session.execute(select(PremisesCount.premises, PremisesCount.as_of,
                                     PremisesCount.batch_id, PremisesCount.insee)
                              .where(PremisesCount.insee == insee)
                              .order_by(PremisesCount.as_of.desc(), PremisesCount.batch_id.desc())
                              .limit(1)).first()
    elif category == "connectable_count":
        row = session.execute(select(FtthProgress.connectable, FtthProgress.observed_on,
                                     FtthProgress.batch_id, FtthProgress.insee)
                              .where(FtthProgress.insee == insee,
                                     FtthProgress.operator_code.is_(None))
                              .order_by(FtthProgress.observed_on.desc(),
                                        FtthProgress.batch_id.desc()).limit(1)).first()
    elif category == "sites_5g_count":
        count, batch = session.execute(select(func.count(func.distinct(RadioSite.station_id)),
                                              func.max(RadioSite.batch_id))
                                       .where(RadioSite.insee == insee, RadioSite.has_5g)).one()
        return {"shown_value": str(count), "shown_as_of": None, "shown_batch_id": batch}
    elif clean["target_kind"] == "building" and ref:
        point = session.execute(select(PremisesPoint).where(PremisesPoint.building_id == ref)
                                .order_by(PremisesPoint.batch_id.desc()).limit(1)).scalar()
        if point is not None:
            clean["commune_insee"] = clean["commune_insee"] or point.insee
            clean["operator_code"] = clean["operator_code"] or point.operator_code
            value = point.status if category == "building_status" else str(point.premises)
            return {"shown_value": value[:64], "shown_as_of": point.observed_on,
                    "shown_batch_id": point.batch_id}
    elif clean["target_kind"] == "site" and ref:
        site = session.execute(select(RadioSite).where(RadioSite.station_id == ref)
                               .order_by(RadioSite.batch_id.desc()).limit(1)).scalar()
        if site is not None:
            clean["commune_insee"] = clean["commune_insee"] or site.insee
            clean["operator_code"] = clean["operator_code"] or site.operator_code
            shown = site.in_service_on.isoformat() if site.in_service_on else "–"
            return {"shown_value": shown, "shown_as_of": None, "shown_batch_id": site.batch_id}
    elif clean["target_kind"] == "works" and ref:
        work = session.execute(select(PublicWork).where(PublicWork.source_id == ref)
                               .order_by(PublicWork.batch_id.desc()).limit(1)).scalar()
        if work is not None:
            end = work.end_at.date().isoformat() if work.end_at else "…"
            return {"shown_value": f"{work.start_at.date().isoformat()} → {end}",
                    "shown_as_of": None, "shown_batch_id": work.batch_id}
    if row is None:
        return {"shown_value": None, "shown_as_of": None, "shown_batch_id": None}
    return {"shown_value": str(row[0]), "shown_as_of": row[1], "shown_batch_id": row[2]}


def check_rate(session: Session, address_hash: str | None, now: dt.datetime | None = None,
               per_address: int = DEFAULT_PER_ADDRESS_PER_DAY,
               per_day: int = DEFAULT_PER_DAY) -> None:
    """Refuse beyond ``per_address`` challenges from one address, ``per_day`` in all, per day."""
    since = (now or _utcnow()) - dt.timedelta(days=1)
    total = session.execute(select(func.count()).select_from(Challenge)
                            .where(Challenge.created_at >= since)).scalar_one()
    if total >= per_day:
        raise ChallengeError("rate", "too many challenges today; try again tomorrow",
                             "rate_limited")
    if address_hash is not None and session.execute(
            select(func.count()).select_from(Challenge)
            .where(Challenge.address_hash == address_hash, Challenge.created_at >= since)
    ).scalar_one() >= per_address:
        raise ChallengeError("rate", "too many challenges from this address today; try again "
                                     "tomorrow", "rate_limited")


def submit(
    session: Session,
    data: dict[str, Any],
    *,
    channel: str,
    username: str | None = None,
    address_hash: str | None = None,
    evidence: Evidence | None = None,
    now: dt.datetime | None = None,
) -> tuple[Challenge, str]:
    """Store a challenge (status ``received``); returns it and its status-page token."""
    if channel not in CHANNELS:
        raise ValueError(f"channel was {channel!r}; expected one of {list(CHANNELS)}")
    now = now or _utcnow()
    clean = validate(session, data)
    shown = shown_figure(session, clean)
    token = secrets.token_urlsafe(24)
    challenge = Challenge(
        token_sha256=token_digest(token), created_at=now, channel=channel, status="received",
        submitted_by=username, address_hash=address_hash, **clean, **shown,
        evidence_sha256=evidence and evidence.sha256, evidence_name=evidence and evidence.name,
        evidence_size=evidence and evidence.size,
    )
    session.add(challenge)
    session.flush()
    session.add(ChallengeStep(challenge_id=challenge.id, at=now, from_status=None,
                              to_status="received", note="", author=username))
    audit.record(session, "challenge_submitted", username, challenge.id, {
        "channel": channel, "category": clean["category"], "commune": clean["commune_insee"],
        "evidence_sha256": challenge.evidence_sha256})
    return challenge, token


def step(
    session: Session,
    challenge_id: int,
    to_status: str,
    note: str,
    author: str | None,
    *,
    batch_id: int | None = None,
    now: dt.datetime | None = None,
) -> Challenge:
    """Move a challenge one step along the workflow, with a note and its author."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise ChallengeError("challenge", f"no challenge {challenge_id}", "not_found")
    if to_status not in NEXT[challenge.status]:
        raise ChallengeError("status", f"{challenge.status} -> {to_status!r} is not a step; "
                                       f"expected one of {list(NEXT[challenge.status])}")
    note = _text(note, "note", MAX_NOTE, True) or ""
    now = now or _utcnow()
    if to_status == "resolved" and challenge.status == "accepted":
        batch = None if batch_id is None else session.get(ImportBatch, batch_id)
        if batch is None or batch.status != "loaded":
            raise ChallengeError("batch_id", f"was {batch_id!r}; an accepted challenge is "
                                             "resolved by the loaded import batch that "
                                             "corrected it")
        challenge.resolution_batch_id = batch_id
    session.add(ChallengeStep(challenge_id=challenge.id, at=now, from_status=challenge.status,
                              to_status=to_status, note=note, author=author))
    audit.record(session, "challenge_step", author, challenge.id, {
        "from": challenge.status, "to": to_status, "batch_id": batch_id})
    challenge.status = to_status
    if to_status == "resolved":
        challenge.resolved_at = now
    return challenge


def by_token(session: Session, token: str) -> Challenge | None:
    """The challenge of a status-page token (None for any unknown token)."""
    if not token or len(token) > 100:
        return None
    return session.scalar(select(Challenge).where(Challenge.token_sha256 == token_digest(token)))


def steps(session: Session, challenge_id: int) -> list[ChallengeStep]:
    return list(session.scalars(select(ChallengeStep).where(
        ChallengeStep.challenge_id == challenge_id).order_by(ChallengeStep.id)))


QUEUE_COLUMNS = ["id", "created_at", "age_days", "status", "category", "target_kind",
                 "target_ref", "commune_insee", "operator_code", "text", "shown_value",
                 "shown_as_of", "shown_batch_id", "evidence_sha256", "evidence_name",
                 "lon", "lat", "resolution_batch_id", "resolved_at", "channel"]


def queue(
    session: Session,
    *,
    commune: str | None = None,
    operator: str | None = None,
    category: str | None = None,
    status: str | None = None,
    min_age_days: int | None = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Challenges matching the filters, oldest first (never the e-mail nor the address)."""
    now = now or _utcnow()
    query = select(Challenge).order_by(Challenge.created_at, Challenge.id)
    for column, value in ((Challenge.commune_insee, commune), (Challenge.operator_code, operator),
                          (Challenge.category, category), (Challenge.status, status)):
        if value:
            query = query.where(column == value)
    if min_age_days:
        query = query.where(Challenge.created_at <= now - dt.timedelta(days=min_age_days))
    rows = [[c.id, c.created_at, (now - c.created_at).days, c.status, c.category,
             c.target_kind, c.target_ref, c.commune_insee, c.operator_code, c.text,
             c.shown_value, c.shown_as_of, c.shown_batch_id, c.evidence_sha256, c.evidence_name,
             c.lon, c.lat, c.resolution_batch_id, c.resolved_at, c.channel]
            for c in session.scalars(query)]
    return pd.DataFrame(rows, columns=QUEUE_COLUMNS, dtype=object)


def open_counts(session: Session) -> dict[str, int]:
    """Open challenges per commune (INSEE -> count)."""
    rows = session.execute(select(Challenge.commune_insee, func.count())
                           .where(Challenge.status.in_(OPEN), Challenge.commune_insee.is_not(None))
                           .group_by(Challenge.commune_insee)).all()
    return {insee: int(n) for insee, n in rows}


def purge(session: Session, *, retention_days: int = DEFAULT_RETENTION_DAYS,
          now: dt.datetime | None = None, username: str | None = None
          ) -> tuple[int, list[str]]:
    """Delete challenges resolved more than ``retention_days`` ago (GDPR); returns how many
    and the sha256 of evidence files no remaining challenge cites (the caller deletes them)."""
    if retention_days < 0:
        raise ChallengeError("retention", f"was {retention_days}; expected 0 or more days")
    limit = (now or _utcnow()) - dt.timedelta(days=retention_days)
    old = list(session.scalars(select(Challenge).where(Challenge.status == "resolved",
                                                       Challenge.resolved_at <= limit)))
    ids = [c.id for c in old]
    files = {c.evidence_sha256 for c in old if c.evidence_sha256}
    if ids:
        session.execute(delete(ChallengeStep).where(ChallengeStep.challenge_id.in_(ids)))
        session.execute(delete(Challenge).where(Challenge.id.in_(ids)))
    kept = set(session.scalars(select(Challenge.evidence_sha256).where(
        Challenge.evidence_sha256.in_(files)))) if files else set()
    audit.record(session, "challenge_purged", username, None, {
        "deleted": len(ids), "retention_days": retention_days})
    return len(ids), sorted(files - kept)
