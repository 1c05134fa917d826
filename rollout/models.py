"""The database schema: one declarative model for SpatiaLite and PostGIS.

Geometries are stored in EPSG:4326. Every stored fact references the
:class:`ImportBatch` it came from: that is the evidence chain legal staff
cite (file name, sha256, row). Timestamps are naive UTC on both backends.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SRID = 4326

# Stable constraint names so Alembic migrations work the same on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _batch_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("import_batch.id", ondelete="RESTRICT"), index=True)


class ImportBatch(Base):
    """One imported file: what, when, by whom, how many rows, with what outcome."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # loaded | rejected
    started_at: Mapped[dt.datetime] = mapped_column(DateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    imported_by: Mapped[str | None] = mapped_column(String(128))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    stored_path: Mapped[str | None] = mapped_column(String(1024))
    summary: Mapped[dict | None] = mapped_column(JSON)

    errors: Mapped[list[ImportError_]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="ImportError_.id"
    )


class ImportError_(Base):
    """A problem that made a batch rejected: file row, column, value and reason."""

    __tablename__ = "import_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(256))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)

    batch: Mapped[ImportBatch] = relationship(back_populates="errors")


class Commune(Base):
    """A commune with its current boundary; older boundaries live in CommuneBoundary."""

    __tablename__ = "commune"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    epci_siren: Mapped[str | None] = mapped_column(String(9))
    population: Mapped[int | None] = mapped_column(Integer)
    boundary_version: Mapped[int] = mapped_column(Integer, default=1)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class CommuneBoundary(Base):
    """Every boundary version ever imported for a commune (never overwritten)."""

    __tablename__ = "commune_boundary"
    __table_args__ = (UniqueConstraint("insee", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    population: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class Operator(Base):
    """ARCEP 4-letter fixed operator codes and MCC-MNC mobile codes."""

    __tablename__ = "operator"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # fixed | mobile


class PremisesCount(Base):
    """The denominator of every share, kept per vintage: never overwritten."""

    __tablename__ = "premises_count"
    __table_args__ = (UniqueConstraint("insee", "as_of", "method", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    premises: Mapped[int] = mapped_column(Integer)
    logements: Mapped[int | None] = mapped_column(Integer)
    etablissements: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))  # insee | best_estimate | ipe
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class CommuneOperators(Base):
    """Per ARCEP publication: committed operators (L.33-13) and infrastructure operators."""

    __tablename__ = "commune_operators"
    __table_args__ = (UniqueConstraint("insee", "as_of", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    committed_operators: Mapped[str] = mapped_column(String(128), default="")
    infrastructure_operators: Mapped[str] = mapped_column(String(128), default="")
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class FtthProgress(Base):
    """Connectable (and on-demand) premises per commune, operator (NULL = all) and date."""

    __tablename__ = "ftth_progress"
    __table_args__ = (
        UniqueConstraint("insee", "operator_code", "observed_on", "batch_id"),
        Index("ix_ftth_progress_lookup", "insee", "observed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"))
    operator_code: Mapped[str | None] = mapped_column(String(16))
    observed_on: Mapped[dt.date] = mapped_column(Date)
    connectable: Mapped[int] = mapped_column(Integer)
    rad: Mapped[int | None] = mapped_column(Integer)
    premises_total: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # arcep | ipe | arcep_immeubles
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)
    source_column: Mapped[str | None] = mapped_column(String(64))


class Agreement(Base):
    """An operator's commitment (convention, L.33-13 commitment...) and its source document."""

    __tablename__ = "agreement"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    operator_code: Mapped[str] = mapped_column(ForeignKey("operator.code"), index=True)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    source_document: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class AgreementCommune(Base):
    """The perimeter of an agreement."""

    __tablename__ = "agreement_commune"
    __table_args__ = (UniqueConstraint("agreement_id", "insee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreement.id"), index=True)
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class Milestone(Base):
    """A dated target of an agreement, for one commune or (insee NULL) the whole perimeter."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("agreement_id", "insee", "metric", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreement.id"), index=True)
    insee: Mapped[str | None] = mapped_column(ForeignKey("commune.insee"), index=True)
    metric: Mapped[str] = mapped_column(String(48))
    target: Mapped[float] = mapped_column(Float)
    due_on: Mapped[dt.date] = mapped_column(Date)
    rad_cap: Mapped[float | None] = mapped_column(Float)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class PremisesPoint(Base):
    """A building from an IPE or ARCEP building file, as observed on a date."""

    __tablename__ = "premises_point"
    __table_args__ = (Index("ix_premises_point_commune", "insee", "observed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[str] = mapped_column(String(64))
    operator_code: Mapped[str | None] = mapped_column(String(16))
    insee: Mapped[str | None] = mapped_column(String(5))
    premises: Mapped[int] = mapped_column(Integer)
    premises_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32))
    status_date: Mapped[dt.date | None] = mapped_column(Date)
    observed_on: Mapped[dt.date] = mapped_column(Date)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class RadioSite(Base):
    """A radio station (ANFR or ARCEP) with its systems and in-service date."""

    __tablename__ = "radio_site"
    __table_args__ = (UniqueConstraint("station_id", "operator_code", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[str] = mapped_column(String(32), index=True)
    operator_code: Mapped[str] = mapped_column(String(16), index=True)
    operator_name: Mapped[str | None] = mapped_column(String(128))
    insee: Mapped[str | None] = mapped_column(String(5), index=True)
    systems: Mapped[list] = mapped_column(JSON)
    bands: Mapped[list] = mapped_column(JSON)
    has_5g: Mapped[bool] = mapped_column(Boolean)
    in_service_on: Mapped[dt.date | None] = mapped_column(Date)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class PublicWork(Base):
    """A planned or ongoing public work (road works, trenching, closures)."""

    __tablename__ = "public_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(128))
    source_format: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(48))
    owner: Mapped[str | None] = mapped_column(String(256))
    start_at: Mapped[dt.datetime] = mapped_column(DateTime())
    end_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    start_verified: Mapped[bool | None] = mapped_column(Boolean)
    end_verified: Mapped[bool | None] = mapped_column(Boolean)
    types_of_work: Mapped[list] = mapped_column(JSON, default=list)
    outside_communes: Mapped[bool] = mapped_column(Boolean, default=False)
    # May go out in the open-data package and the WZDx/CIFS feeds (rollout.importers.works).
    publishable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    road_names: Mapped[list | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    direction: Mapped[str | None] = mapped_column(String(32))  # WZDx or CIFS direction
    vehicle_impact: Mapped[str | None] = mapped_column(String(48))  # WZDx vehicle_impact
    geom = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False)
    batch_id: Mapped[int] = _batch_fk()
    source_row: Mapped[int | None] = mapped_column(Integer)


class PublicWorkCommune(Base):
    """Every commune a work touches."""

    __tablename__ = "public_work_commune"
    __table_args__ = (UniqueConstraint("work_id", "insee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(
        ForeignKey("public_work.id", ondelete="CASCADE"), index=True
    )
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)


class UserAccount(Base):
    """A person who signs in to the web app; the role decides what they may see and do."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # viewer | planner | legal | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime())


class AuditEvent(Base):
    """Who did what, when (imports, reports, sign-ins, user changes, backups): append only."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    username: Mapped[str | None] = mapped_column(String(64))  # NULL: CLI or system
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(256))
    details: Mapped[dict | None] = mapped_column(JSON)
    # The web client's address (request.remote_addr, behind ROLLOUT_TRUSTED_PROXIES); NULL: CLI.
    client_address: Mapped[str | None] = mapped_column(String(45))


class UserSession(Base):
    """A web sign-in: the cookie holds a random token whose sha256 is ``token_hash``; the
    session is valid while ``ended_at`` is NULL (see :mod:`rollout.web_sessions`)."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    # logout | everywhere | idle | password | role
    end_reason: Mapped[str | None] = mapped_column(String(16))
    client_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(256))


# Alerts and signalements live in their own module; importing it registers their tables.
from rollout import models_alerts  # noqa: E402,F401
