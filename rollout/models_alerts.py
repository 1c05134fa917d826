"""Tables of alerts and signalements (issue 16), registered on :class:`rollout.models.Base`.

``alert_state`` is the latest evaluation of each milestone (what the next run compares with),
``alert`` the transitions found with their evidence, ``alert_subscription`` who wants which
alerts by which channel, ``alert_delivery`` the log of every attempt. ``challenge`` and
``challenge_step`` hold the signalements and their workflow.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rollout.models import Base


class AlertState(Base):
    """The latest evaluation of one milestone: status, early-warning level, figures."""

    __tablename__ = "alert_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16))
    warning_days: Mapped[int | None] = mapped_column(Integer)  # smallest threshold announced
    as_of: Mapped[dt.date] = mapped_column(Date)
    figures: Mapped[dict] = mapped_column(JSON)
    batch_id: Mapped[int | None] = mapped_column(Integer)  # latest batch when evaluated
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime())


class Alert(Base):
    """One transition of a milestone (or an early warning), with its evidence."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    agreement_id: Mapped[str] = mapped_column(String(128))
    operator_code: Mapped[str] = mapped_column(String(16), index=True)
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    metric: Mapped[str] = mapped_column(String(48))
    due_on: Mapped[dt.date] = mapped_column(Date)
    before_status: Mapped[str | None] = mapped_column(String(16))
    after_status: Mapped[str] = mapped_column(String(16))
    warning_days: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    trigger_batch_id: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[dict] = mapped_column(JSON)


class AlertSubscription(Base):
    """A user's wish to receive some alerts by e-mail or webhook."""

    __tablename__ = "alert_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    target: Mapped[str] = mapped_column(String(512))  # address or URL
    secret: Mapped[str | None] = mapped_column(String(128))  # webhook HMAC key
    operator_code: Mapped[str | None] = mapped_column(String(16))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    kinds: Mapped[list] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())


class AlertDelivery(Base):
    """One delivery of one alert to one subscription: sent or failed, after how many tries."""

    __tablename__ = "alert_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(String(256))
    at: Mapped[dt.datetime] = mapped_column(DateTime())


class Challenge(Base):
    """A signalement: someone says a figure, building, works item or site is wrong."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # status page key
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # web | map | api | csv
    target_kind: Mapped[str] = mapped_column(String(24))
    target_ref: Mapped[str | None] = mapped_column(String(64))  # building/work/station id
    category: Mapped[str] = mapped_column(String(40))
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    operator_code: Mapped[str | None] = mapped_column(String(16), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    email_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    shown_value: Mapped[str | None] = mapped_column(String(64))
    shown_as_of: Mapped[dt.date | None] = mapped_column(Date)
    shown_batch_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    resolution_batch_id: Mapped[int | None] = mapped_column(Integer)


class ChallengeStep(Base):
    """One step of a signalement's workflow: from, to, note, author."""

    __tablename__ = "challenge_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime())
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(64))
