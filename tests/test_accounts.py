"""Users, roles, audit log and the 0002 migration, on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import func, inspect, select
from werkzeug.security import check_password_hash

from rollout.accounts import (
    ROLES,
    AccountError,
    add_user,
    can,
    list_users,
    remove_user,
    set_role,
    verify_password,
)
from rollout.audit import list_events, record, record_report
from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.migrate import alembic_config, current_revision, head_revision
from rollout.models import AuditEvent, ImportBatch, UserAccount
from tests.builders import SQUARE_A, write_communes

REVISION_0001 = "b52894f1eed7"  # rollout/migrations/versions/0001_initial_schema.py


def cli(url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--database", url, *args], input=stdin)


# --- roles: pure mapping -------------------------------------------------------------------

def test_roles_are_cumulative_as_the_issue_lists_them():
    assert list(ROLES) == ["viewer", "planner", "legal", "admin"]
    assert ROLES["viewer"] == {"map", "commune_pages", "sheets"}
    assert ROLES["planner"] - ROLES["viewer"] == {"exports", "gaps", "dig_once"}
    assert ROLES["legal"] - ROLES["planner"] == {"operator_delay_reports", "evidence"}
    assert ROLES["admin"] - ROLES["legal"] == {"imports", "users", "audit_log"}


@pytest.mark.parametrize(("role", "permission", "allowed"), [
    ("viewer", "map", True), ("viewer", "exports", False),
    ("planner", "dig_once", True), ("planner", "operator_delay_reports", False),
    ("legal", "evidence", True), ("legal", "imports", False),
    ("admin", "users", True), ("admin", "audit_log", True),
    (None, "map", False), (None, "operator_delay_reports", False),
])
def test_can(role, permission, allowed):
    assert can(role, permission) is allowed


def test_can_refuses_unknown_names():
    with pytest.raises(ValueError, match="permission was 'maps'"):
        can("viewer", "maps")
    with pytest.raises(ValueError, match="role was 'root'"):
        can("root", "map")


# --- accounts in the database --------------------------------------------------------------

def test_add_user_hashes_and_audits(engine):
    with session_scope(engine) as session:
        add_user(session, "  Alice ", "correct horse", "legal", actor="boss")
    with session_scope(engine) as session:
        user = session.scalar(select(UserAccount))
        events = list_events(session)
    assert user.username == "alice"
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "correct horse")
    assert (user.role, user.active, user.last_login_at) == ("legal", True, None)
    assert events[["username", "action", "target"]].values.tolist() == [
        ["boss", "user_added", "alice"]]
    assert events.loc[0, "details"] == {"role": "legal"}


@pytest.mark.parametrize(("username", "password", "role", "code"), [
    ("bob", "short", "viewer", "weak_password"),
    ("bob", "long enough", "superuser", "bad_role"),
    ("", "long enough", "viewer", "bad_username"),
    ("bob smith", "long enough", "viewer", "bad_username"),
    ("ALICE", "long enough", "viewer", "user_exists"),
])
def test_add_user_refusals_store_nothing(engine, username, password, role, code):
    with session_scope(engine) as session:
        add_user(session, "alice", "first password", "admin")
    with pytest.raises(AccountError) as caught:
        with session_scope(engine) as session:
            add_user(session, username, password, role)
    assert caught.value.code == code
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(UserAccount)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_verify_password_records_login_and_failures(engine):
    with session_scope(engine) as session:
        add_user(session, "carol", "s3cret-pass", "planner")
    with session_scope(engine) as session:
        assert verify_password(session, "carol", "wrong-pass") is None
        assert verify_password(session, "nobody", "s3cret-pass") is None
        assert verify_password(session, "Carol", "s3cret-pass").username == "carol"
    with session_scope(engine) as session:
        events = list_events(session)
        last_login = session.scalar(select(UserAccount.last_login_at))
    got = [(e.action, e.username, (e.details or {}).get("reason"))
           for e in events.itertuples()]
    assert got == [("login", "carol", None), ("login_failed", "nobody", "unknown_user"),
                   ("login_failed", "carol", "wrong_password"), ("user_added", None, None)]
    assert last_login is not None
    assert abs(last_login - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(
        minutes=1)


def test_inactive_user_cannot_sign_in(engine):
    with session_scope(engine) as session:
        add_user(session, "dave", "s3cret-pass", "viewer").active = False
    with session_scope(engine) as session:
        assert verify_password(session, "dave", "s3cret-pass") is None
        assert list_events(session, action="login_failed").loc[0, "details"] == {
            "reason": "inactive"}


def test_set_role_remove_and_last_admin_guard(engine):
    with session_scope(engine) as session:
        add_user(session, "root", "admin-pass", "admin")
        add_user(session, "erin", "erin-pass", "viewer")
    with session_scope(engine) as session:
        set_role(session, "erin", "legal", actor="root")
    for action in (lambda s: set_role(s, "root", "viewer"), lambda s: remove_user(s, "root")):
        with pytest.raises(AccountError, match="last active admin"):
            with session_scope(engine) as session:
                action(session)
    with session_scope(engine) as session:
        remove_user(session, "erin", actor="root")
        users = list_users(session)
        events = list_events(session)
    assert users[["username", "role"]].values.tolist() == [["root", "admin"]]
    assert events.loc[0, ["action", "target", "username"]].tolist() == [
        "user_removed", "erin", "root"]
    assert events.loc[1, "details"] == {"from": "viewer", "to": "legal"}


def test_record_report_and_json_details(engine):
    with session_scope(engine) as session:
        record_report(session, "operator-delay",
                      {"operator": "FRTE", "as_of": dt.date(2024, 6, 30), "format": "pdf"},
                      "R-2024-0001", "ab" * 32, username="lea")
        with pytest.raises(ValueError, match="audit action was 'hack'"):
            record(session, "hack")
        with pytest.raises(ValueError, match="report kind was 'x'"):
            record_report(session, "x", {}, "R", "f")
    with session_scope(engine) as session:
        event = list_events(session).iloc[0]
    assert (event.action, event.username, event.target) == ("report", "lea", "R-2024-0001")
    assert event.details == {"kind": "operator-delay", "operator": "FRTE",
                             "as_of": "2024-06-30", "format": "pdf", "fingerprint": "ab" * 32}


# --- imports are audited -------------------------------------------------------------------

def test_every_import_attempt_is_audited(db_url, tmp_path):
    good = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A)})
    bad = tmp_path / "bad.geojson"
    bad.write_text("{ not json", encoding="utf-8")
    assert cli(db_url, "import", "communes", str(good)).exit_code == 0
    assert cli(db_url, "import", "communes", str(good)).exit_code == 0
    assert cli(db_url, "import", "communes", str(bad)).exit_code == 2
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        events = list_events(session)
        # PostgreSQL does not give back the id the rolled-back attempt took: read it.
        rejected = session.scalar(select(ImportBatch.id).where(ImportBatch.status == "rejected"))
    engine.dispose()
    details = [(e.target, e.details["status"], e.details["file_name"], e.details["rows_loaded"])
               for e in events.itertuples()]
    assert details == [(str(rejected), "rejected", "bad.geojson", 0),
                       ("1", "duplicate", "c.geojson", 0), ("1", "loaded", "c.geojson", 1)]
    assert events.loc[2, "details"]["sha256"] == events.loc[1, "details"]["sha256"]
    assert events.loc[0, "details"]["problems"] >= 1
    assert set(events["username"]) == {None}


# --- CLI -----------------------------------------------------------------------------------

def test_users_cli_round_trip(db_url):
    added = cli(db_url, "users", "add", "Fanny", "--role", "admin", "--password-stdin",
                stdin="long password\n")
    assert added.exit_code == 0, added.output
    prompted = cli(db_url, "users", "add", "gus", "--role", "viewer",
                   stdin="pass-word-1\npass-word-1\n")
    assert prompted.exit_code == 0, prompted.output
    mismatch = cli(db_url, "users", "add", "hal", "--role", "viewer",
                   stdin="pass-word-1\npass-word-2\npass-word-3\npass-word-3\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output.lower()
    assert cli(db_url, "users", "set-role", "gus", "planner").exit_code == 0
    assert cli(db_url, "users", "remove", "hal").exit_code == 0
    listed = json.loads(cli(db_url, "users", "list", "--format", "json").output)
    assert [(u["username"], u["role"], u["active"]) for u in listed] == [
        ("fanny", "admin", True), ("gus", "planner", True)]
    assert "password" not in json.dumps(listed)
    table = cli(db_url, "users", "list").output
    assert "fanny" in table and "planner" in table
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        assert verify_password(session, "hal", "pass-word-3") is None
        assert verify_password(session, "gus", "pass-word-1") is not None
    engine.dispose()
    audit = json.loads(cli(db_url, "audit", "--format", "json").output)
    assert [e["action"] for e in audit] == ["login", "login_failed", "user_removed",
                                            "role_changed", "user_added", "user_added",
                                            "user_added"]
    assert "role_changed" in cli(db_url, "audit").output


@pytest.mark.parametrize(("args", "message"), [
    (["users", "add", "x", "--role", "god", "--password-stdin"], "role was 'god'"),
    (["users", "remove", "nobody"], "no user named 'nobody'"),
    (["users", "set-role", "nobody", "admin"], "no user named 'nobody'"),
])
def test_users_cli_refusals_exit_2_with_one_line(db_url, args, message):
    result = cli(db_url, *args, stdin="long password\n")
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


# --- migration 0002 ------------------------------------------------------------------------

def test_init_from_empty_and_from_0001(empty_db_url):
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), REVISION_0001)
    assert current_revision(engine) == REVISION_0001
    assert "user_account" not in inspect(engine).get_table_names()
    engine.dispose()
    result = cli(empty_db_url, "init")
    assert result.exit_code == 0, result.output
    assert f"{REVISION_0001} -> {head_revision()}" in result.output
    engine = make_engine(empty_db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"user_account", "audit_event"} <= tables
    with session_scope(engine) as session:
        add_user(session, "ivy", "long password", "viewer")
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with session_scope(engine) as session:
            session.add(UserAccount(username="ivy", password_hash="x", role="viewer",
                                    active=True, created_at=dt.datetime(2024, 1, 1)))
    engine.dispose()
