"""Codes a user types (operator, commune) checked against what the database holds: an unknown
code is bad input naming the known ones, on the CLI (exit 2) and the web (400) alike."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geodata.errors import InputError
from rollout.models import Commune, Operator

SHOWN = 8


def known_list(codes: list[str], what: str) -> str:
    """``none loaded`` or ``3 loaded: A, B, C`` (the first few)."""
    if not codes:
        return f"no {what} loaded"
    shown = ", ".join(codes[:SHOWN]) + (", …" if len(codes) > SHOWN else "")
    return f"{len(codes)} loaded: {shown}"


def operator(session: Session, code: str, where: str = "--operator") -> str:
    """The stored operator code matching ``code`` case-blind (registry codes are upper case)."""
    known = sorted(session.scalars(select(Operator.code)))
    match = [k for k in known if k.upper() == code.strip().upper()]
    if not match:
        raise InputError.single(where, f"unknown operator code {code!r}; "
                                       f"{known_list(known, 'operator')}",
                                code="unknown_operator")
    return match[0]


def commune(session: Session, insee: str, where: str = "--commune") -> str:
    """``insee`` if a commune of that code is loaded."""
    known = sorted(session.scalars(select(Commune.insee)))
    if insee.strip() not in set(known):
        raise InputError.single(where, f"unknown commune {insee!r}; "
                                       f"{known_list(known, 'commune')}",
                                code="unknown_commune")
    return insee.strip()
