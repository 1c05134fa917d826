"""The error every reader raises for bad input: one line per problem."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One defect in an input file, located as precisely as the format allows.

    ``row`` is the 1-based line (CSV) or row (spreadsheet) number as a user sees
    it in a text editor or a spreadsheet program, or the 1-based feature number
    for vector formats; ``None`` when the problem concerns the whole file.
    """

    file: str
    reason: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        parts = [where]
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            parts.append(f"value {shown!r}")
        parts.append(self.reason)
        return ": ".join(parts)


@dataclass
class InputError(Exception):
    """Bad input: the file cannot be loaded as a whole.

    ``code`` is a stable machine code (``empty_file``, ``bad_value``,
    ``unknown_layout``...), the problems are user-safe messages.
    """

    problems: list[Problem]
    code: str = "bad_input"
    truncated: bool = field(default=False)

    def __post_init__(self) -> None:
        if len(self.problems) > MAX_PROBLEMS:
            self.problems = self.problems[:MAX_PROBLEMS]
            self.truncated = True
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(f"... further problems not shown (first {MAX_PROBLEMS} listed)")
        return "\n".join(lines)

    @classmethod
    def single(
        cls,
        file: str,
        reason: str,
        *,
        code: str = "bad_input",
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> InputError:
        """Build an error holding one problem."""
        shown = None if value is None else str(value)
        return cls([Problem(file, reason, row, column, shown)], code=code)


class ProblemCollector:
    """Accumulate problems while reading, then raise them all at once."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(
        self,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        shown = None if value is None else str(value)
        self.problems.append(Problem(self.file, reason, row, column, shown))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, code: str = "bad_value") -> None:
        if self.problems:
            raise InputError(list(self.problems), code=code)
