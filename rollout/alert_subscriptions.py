"""Who receives which alerts: per-user subscriptions by e-mail or webhook.

Filters are optional: an operator code, a commune's INSEE code, a list of kinds (empty: all).
A webhook needs an ``http(s)`` URL and a secret (made here when not given: it signs every
body, see :mod:`rollout.alert_delivery`). Validation errors are :class:`SubscriptionError`
with a user-safe message.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.accounts import get_user
from rollout.alerts import KINDS
from rollout.models import Commune, Operator, UserAccount
from rollout.models_alerts import AlertSubscription

CHANNELS = ("email", "webhook")
EMAIL_PATTERN = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
COLUMNS = ["id", "username", "channel", "target", "operator_code", "commune_insee", "kinds",
           "language", "created_at"]


class SubscriptionError(ValueError):
    """A refused subscription; the message is user-safe."""


def check_kinds(kinds: list[str]) -> list[str]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise SubscriptionError(f"kind was {unknown[0]!r}; expected one of {list(KINDS)}")
    return [k for k in KINDS if k in kinds]


def check_target(channel: str, target: str) -> str:
    target = target.strip()
    if channel == "email":
        if not EMAIL_PATTERN.fullmatch(target):
            raise SubscriptionError(f"e-mail address was {target!r}; expected name@domain")
        return target
    if channel == "webhook":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(target) > 512:
            raise SubscriptionError(f"webhook URL was {target!r}; expected http(s)://host/path")
        return target
    raise SubscriptionError(f"channel was {channel!r}; expected one of {list(CHANNELS)}")


def subscribe(
    session: Session,
    username: str,
    channel: str,
    target: str,
    *,
    operator_code: str | None = None,
    commune_insee: str | None = None,
    kinds: list[str] | None = None,
    language: str = "fr",
    secret: str | None = None,
) -> AlertSubscription:
    """Add a subscription for ``username``; returns it (its ``secret`` for a webhook)."""
    user = get_user(session, username)
    target = check_target(channel, target)
    if language not in ("fr", "en"):
        raise SubscriptionError(f"language was {language!r}; expected fr or en")
    if operator_code and session.get(Operator, operator_code) is None:
        raise SubscriptionError(f"operator was {operator_code!r}; no such operator is loaded")
    if commune_insee and session.get(Commune, commune_insee) is None:
        raise SubscriptionError(f"commune was {commune_insee!r}; no such INSEE code is loaded")
    if channel == "webhook" and not secret:
        secret = secrets.token_hex(32)
    sub = AlertSubscription(
        user_id=user.id, channel=channel, target=target,
        secret=secret if channel == "webhook" else None, operator_code=operator_code or None,
        commune_insee=commune_insee or None, kinds=check_kinds(kinds or []), language=language,
        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    )
    session.add(sub)
    session.flush()
    return sub


def list_subscriptions(session: Session, username: str | None = None) -> pd.DataFrame:
    """Subscriptions (of one user, or all), oldest first, without secrets."""
    query = (select(AlertSubscription, UserAccount.username)
             .join(UserAccount, UserAccount.id == AlertSubscription.user_id)
             .order_by(AlertSubscription.id))
    if username is not None:
        query = query.where(UserAccount.id == get_user(session, username).id)
    rows = [[s.id, name, s.channel, s.target, s.operator_code, s.commune_insee,
             ",".join(s.kinds or []), s.language, s.created_at]
            for s, name in session.execute(query).all()]
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def unsubscribe(session: Session, subscription_id: int, username: str | None = None) -> None:
    """Remove a subscription (only the user's own when ``username`` is given)."""
    sub = session.get(AlertSubscription, subscription_id)
    if sub is not None and username is not None and sub.user_id != get_user(session,
                                                                              username).id:
        sub = None
    if sub is None:
        raise SubscriptionError(f"no subscription {subscription_id}")
    session.delete(sub)
