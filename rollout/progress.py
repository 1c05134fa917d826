"""Progress of long work on the command line: rows or bytes done, rate and time left.

A bar is drawn (tqdm, on stderr) only when the command line turned progress on, which it does
when stderr is a terminal and ``ROLLOUT_PROGRESS`` is not ``0``: scripts, cron jobs, pipes and
the web server get no extra output at all. Library code reports progress the same way
whoever calls it; without a terminal the callbacks do nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_ENABLED: ContextVar[bool] = ContextVar("rollout_progress", default=False)
# Estimating a file's rows reads its first MiB: enough lines for a stable mean length.
_SAMPLE_BYTES = 1 << 20

Advance = Callable[[int], None]


def enable_for_terminal() -> None:
    """Turn bars on when stderr is a terminal (``ROLLOUT_PROGRESS=0`` turns them off)."""
    wanted = os.environ.get("ROLLOUT_PROGRESS", "1").strip() != "0"
    _ENABLED.set(wanted and sys.stderr.isatty())


def enabled() -> bool:
    """Whether bars are drawn in this context."""
    return _ENABLED.get()


@contextmanager
def bar(label: str, total: int | None, unit: str) -> Iterator[Advance]:
    """A bar of ``total`` ``unit``; yields the function that advances it by n."""
    if not _ENABLED.get():
        yield _nothing
        return
    from tqdm import tqdm

    scale = unit == "o"  # bytes: ko, Mo, Go
    # A terminal that reports no size (new ptys, serial consoles) gets 100 x 20: tqdm would
    # otherwise draw nothing at all on a 0-line terminal.
    size = shutil.get_terminal_size((100, 20))
    with tqdm(total=total, desc=label, unit=unit, unit_scale=True, unit_divisor=1024 if scale
              else 1000, file=sys.stderr, ncols=size.columns or 100, nrows=size.lines or 20,
              leave=False, mininterval=0.5) as shown:
        yield shown.update


def estimated_rows(path: Path, header_lines: int = 1) -> int | None:
    """Data rows of a text file, estimated from the mean length of its first lines."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            sample = fh.read(_SAMPLE_BYTES)
    except OSError:
        return None
    lines = sample.count(b"\n")
    if not lines:
        return None
    if len(sample) >= size:
        return max(lines - header_lines + (not sample.endswith(b"\n")), 0)
    return max(round(size * lines / len(sample)) - header_lines, 0)


def _nothing(_: int) -> None:
    return None
