"""Database problems said in one accurate line (issue 12 item 11).

Every database error a command or the server can meet is mapped here to one line saying
what is wrong and what to do, and an exit code (2: the database given is wrong, 1: it cannot
be used right now). No caller shows a driver's traceback.
"""

from __future__ import annotations

import errno
import re

from sqlalchemy.exc import DBAPIError

# (pattern in the driver's message, explanation, exit code), first match wins.
_CASES = [
    (r"database is locked|database table is locked|lock timeout|could not obtain lock",
     "la base est verrouillée par un autre processus (un import, une sauvegarde ?) ; "
     "réessayez quand il aura fini", 1),
    (r"readonly database|read-only|read only",
     "la base est en lecture seule (droits du fichier ou du dossier, ou montage en lecture "
     "seule) : cette commande doit y écrire", 1),
    (r"disk is full|no space left|could not extend file|could not write",
     "disque plein : libérez de la place là où se trouve la base, puis recommencez", 1),
    (r"file is not a database|malformed|not a database|file is encrypted",
     "ce fichier n'est pas une base SpatiaLite, ou elle est corrompue", 2),
    (r"unable to open database file",
     "impossible d'ouvrir le fichier de la base (dossier absent ou droits insuffisants)", 2),
    (r"no such table|relation .* does not exist|undefinedtable",
     "le schéma est absent : lancez `rollout init`", 1),
    (r"connection refused|could not connect|connection failed|password authentication"
     r"|database \".*\" does not exist|could not translate host name",
     "connexion à PostgreSQL impossible", 1),
]


class DatabaseUnavailable(RuntimeError):
    """A database that cannot be used as asked: ``str(exc)`` is the line for the user and
    ``exit_code`` the command line's exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def explain(exc: BaseException, where: str | None = None) -> DatabaseUnavailable:
    """The one line (and exit code) for a driver error or a full disk."""
    reason = _reason(exc)
    label = f"base de données {where}" if where else "base de données"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        reason = "no space left on device"
    haystack = f"{reason} {type(getattr(exc, 'orig', exc)).__name__}".lower()
    for pattern, explanation, code in _CASES:
        if re.search(pattern, haystack):
            return DatabaseUnavailable(f"{label} : {explanation} ({reason})", code)
    return DatabaseUnavailable(f"{label} : erreur ({reason})", 1)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` is a full disk (the OS's ENOSPC or a driver's "disk is full")."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return isinstance(exc, DBAPIError) and bool(
        re.search(r"disk is full|no space left|could not extend file", _reason(exc).lower()))
