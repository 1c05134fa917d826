"""`rollout alerts run | subscribe | list | unsubscribe`: milestone alerts and who receives them."""

from __future__ import annotations

import functools
import json
import sys

import click

from rollout.cli.common import Context, fail_on_bad_input, parse_date_option, refusals
from rollout.rows import each_row


def _subscription_refusals(func):
    """A refused subscription: one stderr line, exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from rollout.alert_subscriptions import SubscriptionError

        try:
            return func(*args, **kwargs)
        except SubscriptionError as exc:
            click.echo(f"refusé : {exc}", err=True)
            sys.exit(2)

    return wrapper


@click.group("alerts")
def alerts_group() -> None:
    """Milestone alerts: evaluate, and manage subscriptions (e-mail, webhook)."""


@alerts_group.command("run")
@click.option("--as-of", "as_of", help="Evaluate as of this date (default: today).")
@click.option("--no-deliver", is_flag=True, help="Record the alerts without sending them.")
@click.pass_obj
@fail_on_bad_input
def alerts_run(obj: Context, as_of: str | None, no_deliver: bool) -> None:
    """Evaluate every milestone, record the transitions, deliver them (idempotent: cron)."""
    from rollout import alert_delivery, alerts

    result = alerts.run(obj.engine, as_of=parse_date_option(as_of, "--as-of"))
    click.echo(f"{result.evaluated} échéance(s) évaluée(s), {len(result.alert_ids)} "
               "nouvelle(s) alerte(s)")
    if not no_deliver:
        counts = alert_delivery.deliver_pending(obj.engine)
        click.echo(f"envois : {counts['sent']} réussi(s), {counts['failed']} en échec")


@alerts_group.command("subscribe")
@click.option("--user", "username", required=True, help="The account that subscribes.")
@click.option("--email", help="Send alerts to this address.")
@click.option("--webhook", help="POST alerts as signed JSON to this http(s) URL.")
@click.option("--secret", help="Webhook HMAC secret (default: a new random one, printed).")
@click.option("--operator", "operator_code", help="Only this operator's milestones.")
@click.option("--commune", "commune_insee", help="Only this commune's milestones (INSEE).")
@click.option("--kind", "kinds", multiple=True,
              help="at_risk, missed, met_late, no_data, early_warning (repeat; default all).")
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default="fr")
@click.pass_obj
@fail_on_bad_input
@refusals
@_subscription_refusals
def alerts_subscribe(obj: Context, username: str, email: str | None, webhook: str | None,
                     secret: str | None, operator_code: str | None, commune_insee: str | None,
                     kinds: tuple[str, ...], language: str) -> None:
    """Subscribe a user to alerts by e-mail or webhook."""
    from rollout.alert_subscriptions import subscribe
    from rollout.db import session_scope

    if bool(email) == bool(webhook):
        raise click.UsageError("give exactly one of --email ADDRESS or --webhook URL")
    channel, target = ("email", email) if email else ("webhook", webhook)
    with session_scope(obj.engine, write=True) as session:
        sub = subscribe(session, username, channel, target or "", operator_code=operator_code,
                        commune_insee=commune_insee, kinds=list(kinds), language=language,
                        secret=secret)
        click.echo(f"abonnement {sub.id} : {channel} {sub.target}")
        if channel == "webhook" and not secret:
            click.echo(f"secret du webhook (signature HMAC-SHA256) : {sub.secret}")


@alerts_group.command("list")
@click.option("--user", "username", help="Only this user's subscriptions.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@fail_on_bad_input
@refusals
def alerts_list(obj: Context, username: str | None, fmt: str) -> None:
    """Subscriptions (never their secrets)."""
    from rollout.alert_subscriptions import COLUMNS, list_subscriptions
    from rollout.db import session_scope
    from rollout.formatting import records, to_table

    with session_scope(obj.engine) as session:
        frame = list_subscriptions(session, username)
    if fmt == "json":
        click.echo(json.dumps(records(frame, COLUMNS), ensure_ascii=False, indent=2))
        return
    rows = [["" if v is None else str(v) for v in r] for r in each_row(frame, index=False)]
    click.echo(to_table(rows, COLUMNS))


@alerts_group.command("unsubscribe")
@click.argument("subscription_id", type=int)
@click.pass_obj
@fail_on_bad_input
@_subscription_refusals
def alerts_unsubscribe(obj: Context, subscription_id: int) -> None:
    """Remove a subscription by its id (see `rollout alerts list`)."""
    from rollout.alert_subscriptions import unsubscribe
    from rollout.db import session_scope

    with session_scope(obj.engine, write=True) as session:
        unsubscribe(session, subscription_id)
    click.echo(f"abonnement {subscription_id} supprimé")
