""""As known at" a date (issue 17.3): only batches imported on or before it count.

What the metropolis knew when it sent a formal notice. One mechanism for every read model:
:func:`scope` sets the date for the current context (a CLI command, a web request), and each
read model passes its query through :func:`restrict` with the batch column of its table, so
rows of later batches are not read at all. A batch counts when it was loaded (``finished_at``,
UTC) on or before the end of the day. Communes are not restricted: a boundary is replaced in
place, older versions live in ``commune_boundary`` and figures do not depend on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from rollout.models import ImportBatch

_KNOWN_AT: ContextVar[dt.date | None] = ContextVar("rollout_known_at", default=None)
Query = TypeVar("Query", bound=Select)


def current() -> dt.date | None:
    """The "known at" date of this context, or None (every batch counts)."""
    return _KNOWN_AT.get()


@contextmanager
def scope(day: dt.date | None) -> Iterator[None]:
    """Read as known at ``day`` inside the block (None: everything, as usual)."""
    token = _KNOWN_AT.set(day)
    try:
        yield
    finally:
        _KNOWN_AT.reset(token)


def known_batches(day: dt.date) -> Select:
    """Ids of the batches loaded on or before the end of ``day`` (UTC)."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    return select(ImportBatch.id).where(ImportBatch.status == "loaded",
                                        ImportBatch.finished_at < end)


def restrict(query: Query, batch_column: InstrumentedAttribute) -> Query:
    """``query`` limited to rows of known batches when a "known at" date is set."""
    day = current()
    return query if day is None else query.where(batch_column.in_(known_batches(day)))
