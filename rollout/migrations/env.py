"""Alembic environment: runs on the connection handed over by :mod:`rollout.migrate`."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from rollout.models import Base

config = context.config


def include_object(obj, name, obj_type, reflected, compare_to):
    """Ignore backend-internal tables (SpatiaLite metadata, PostGIS topology...)."""
    if obj_type == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
