"""publishable works

Revision ID: 5d1c2e7a9b30
Revises: 00135e01acef
Create Date: 2026-12-04 19:00:00

Issue 17 (works feeds out): each public work says whether it may be republished
(``publishable``, set at import) and keeps what the WZDx and CIFS feeds carry besides the
title: road names, free-text description, direction and vehicle impact. Existing works are
marked publishable (they were imported before the flag existed, from MEL's own files).
"""

import sqlalchemy as sa
from alembic import op

revision = "5d1c2e7a9b30"
down_revision = "00135e01acef"
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD/DROP COLUMN on both backends: a batch (copy-and-rename) of a
# SpatiaLite table with a geometry column trips over its spatial-index triggers.
def upgrade() -> None:
    op.add_column("public_work", sa.Column("publishable", sa.Boolean(), nullable=False,
                                           server_default=sa.true()))
    op.add_column("public_work", sa.Column("road_names", sa.JSON(), nullable=True))
    op.add_column("public_work", sa.Column("description", sa.Text(), nullable=True))
    op.add_column("public_work", sa.Column("direction", sa.String(length=32), nullable=True))
    op.add_column("public_work", sa.Column("vehicle_impact", sa.String(length=48),
                                           nullable=True))


def downgrade() -> None:
    for column in ("vehicle_impact", "direction", "description", "road_names", "publishable"):
        op.drop_column("public_work", column)
