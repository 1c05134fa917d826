"""Alert delivery on both backends: e-mail read back from a local SMTP server (aiosmtpd),
webhooks received by a local HTTP server that checks the HMAC-SHA256 signature, retries
with back-off and the delivery log; subscriptions through the CLI.

Data and the expected alert (on_track -> at_risk, 59001, FRTE): tests/test_alerts.py §1.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from rollout.db import make_engine, session_scope
from rollout.models_alerts import AlertDelivery
from tests.alert_builders import FAR, FLAT, arcep_2022, cli, load_2021, ok


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("ROLLOUT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ROLLOUT_SMTP_PORT", str(port))
    monkeypatch.setenv("ROLLOUT_SMTP_SECURITY", "none")
    monkeypatch.setenv("ROLLOUT_SMTP_FROM", "alertes@mel.example")
    monkeypatch.setenv("ROLLOUT_BASE_URL", "https://rollout.mel.example")
    yield inbox
    controller.stop()


class Hook(BaseHTTPRequestHandler):
    """Answers the statuses queued in ``server.answers`` (then 200), keeps what it got."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ROLLOUT_WEBHOOK_BACKOFF", "0")
    yield server
    server.shutdown()
    server.server_close()


def add_user(url: str, name: str = "alice") -> None:
    ok(url, "users", "add", name, "--role", "viewer", "--password-stdin", stdin="motdepasse1\n")


def deliveries(url: str) -> list[tuple[str, str, int]]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = [(d.channel, d.status, d.attempts)
                for d in session.scalars(select(AlertDelivery).order_by(AlertDelivery.id))]
    engine.dispose()
    return rows


def test_email_in_french_reaches_the_smtp_server_once(db_url, tmp_path, smtp):
    load_2021(db_url, tmp_path, [FAR])
    add_user(db_url)
    ok(db_url, "alerts", "subscribe", "--user", "alice", "--email", "alice@mel.example",
       "--commune", "59001")
    ok(db_url, "import", "arcep", str(arcep_2022(tmp_path, FLAT)))
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "alice@mel.example"
    assert message["From"] == "alertes@mel.example"
    assert message["Subject"] == (
        "[rollout] échéance à risque — FRTE — Aa (59001) — taux de locaux raccordables "
        "(échéance 31/12/2099)")
    body = message.get_content()
    assert "statut : en bonne voie → à risque" in body
    assert "détail : https://rollout.mel.example/communes/59001" in body
    assert deliveries(db_url) == [("email", "sent", 1)]

    ok(db_url, "alerts", "run")
    assert len(smtp.messages) == 1


def test_webhook_signed_in_english_after_one_retry(db_url, tmp_path, webhook):
    load_2021(db_url, tmp_path, [FAR])
    add_user(db_url, "bob")
    url = f"http://127.0.0.1:{webhook.server_address[1]}/hook"
    ok(db_url, "alerts", "subscribe", "--user", "bob", "--webhook", url, "--secret", "s3cret",
       "--operator", "FRTE", "--kind", "at_risk", "--lang", "en")
    webhook.answers = [503]
    ok(db_url, "import", "arcep", str(arcep_2022(tmp_path, FLAT)))
    assert len(webhook.received) == 2  # 503, then 200
    headers, body = webhook.received[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Rollout-Signature"] == expected
    data = json.loads(body)
    assert (data["kind"], data["before_status"], data["after_status"]) == (
        "at_risk", "on_track", "at_risk")
    assert data["subject"].startswith("[rollout] milestone at risk — FRTE — Aa (59001)")
    assert data["url"].endswith("/communes/59001")
    assert deliveries(db_url) == [("webhook", "sent", 2)]


def test_webhook_down_is_logged_and_never_fails_the_import(db_url, tmp_path, webhook,
                                                           monkeypatch):
    monkeypatch.setenv("ROLLOUT_WEBHOOK_ATTEMPTS", "2")
    load_2021(db_url, tmp_path, [FAR])
    add_user(db_url)
    url = f"http://127.0.0.1:{webhook.server_address[1]}/hook"
    ok(db_url, "alerts", "subscribe", "--user", "alice", "--webhook", url)
    webhook.answers = [500, 500]
    result = cli(db_url, "import", "arcep", str(arcep_2022(tmp_path, FLAT)))
    assert result.exit_code == 0 and "importé" in result.output
    assert deliveries(db_url) == [("webhook", "failed", 2)]
    assert "0 nouvelle(s) alerte(s)" in ok(db_url, "alerts", "run").output
    assert deliveries(db_url) == [("webhook", "failed", 2), ("webhook", "sent", 1)]


def test_subscriptions_cli_list_and_unsubscribe(db_url, tmp_path):
    load_2021(db_url, tmp_path, [FAR])
    add_user(db_url)
    made = ok(db_url, "alerts", "subscribe", "--user", "alice", "--webhook",
              "https://hooks.mel.example/x")
    assert "secret du webhook" in made.output
    listed = json.loads(ok(db_url, "alerts", "list", "--format", "json").output)
    assert [(s["username"], s["channel"], s["target"]) for s in listed] == [
        ("alice", "webhook", "https://hooks.mel.example/x")]
    assert "secret" not in listed[0]
    bad = cli(db_url, "alerts", "subscribe", "--user", "alice", "--email", "pas-une-adresse")
    assert bad.exit_code == 2 and "expected name@domain" in bad.output
    bad = cli(db_url, "alerts", "subscribe", "--user", "alice", "--email", "a@b.fr",
              "--kind", "everything")
    assert bad.exit_code == 2 and "kind was 'everything'" in bad.output
    ok(db_url, "alerts", "unsubscribe", str(listed[0]["id"]))
    assert json.loads(ok(db_url, "alerts", "list", "--format", "json").output) == []
    assert cli(db_url, "alerts", "unsubscribe", "999").exit_code == 2
