"""Operator codes: ARCEP 4-letter fixed codes and MCC-MNC mobile codes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rollout.models import Operator

# Names as ARCEP publishes them (observatoire, "Mon réseau mobile").
KNOWN_OPERATORS: dict[str, tuple[str, str]] = {
    "FRTE": ("Orange", "fixed"),
    "SFR0": ("SFR", "fixed"),
    "COAG": ("Covage", "fixed"),
    "FREE": ("Free", "fixed"),
    "BOUY": ("Bouygues Telecom", "fixed"),
    "AXIO": ("Axione", "fixed"),
    "ALTI": ("Altitude Infrastructure", "fixed"),
    "TDFI": ("TDF", "fixed"),
    "20801": ("Orange", "mobile"),
    "20810": ("SFR", "mobile"),
    "20815": ("Free Mobile", "mobile"),
    "20820": ("Bouygues Telecom", "mobile"),
}


def operator_name(code: str) -> str:
    return KNOWN_OPERATORS.get(code, (code, ""))[0]


def ensure_operator(session: Session, code: str, name: str | None = None) -> Operator:
    """Return the operator row for ``code``, creating it from the known list or ``name``."""
    existing = session.get(Operator, code)
    if existing is not None:
        return existing
    known_name, kind = KNOWN_OPERATORS.get(code, (None, None))
    operator = Operator(
        code=code,
        name=known_name or name or code,
        kind=kind or ("mobile" if code.isdigit() else "fixed"),
    )
    session.add(operator)
    session.flush()
    return operator
