"""store.accounts: hashed passwords, roles in order, API tokens, audited changes."""

import pytest
from sqlalchemy import select

from store import accounts, audit
from store.accounts import ADMIN, LAND_STAFF, VIEWER, AccountError
from store.db import Database
from store.models import User


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'users.db'}")
    database.create_all()
    yield database
    database.dispose()


def test_passwords_are_stored_hashed_and_checked(db):
    with db.write() as s:
        accounts.create_user(s, "li", "s3cret-pass", LAND_STAFF)
    with db.read() as s:
        user = s.scalar(select(User).where(User.username == "li"))
        assert "s3cret-pass" not in user.password_hash
        assert accounts.authenticate(s, "li", "s3cret-pass").role == LAND_STAFF
        assert accounts.authenticate(s, "li", "wrong-pass") is None
        assert accounts.authenticate(s, "nobody", "s3cret-pass") is None


@pytest.mark.parametrize("name, password, role, code", [
    ("li", "short", VIEWER, "weak_password"),
    ("li", "long-enough", "boss", "bad_role"),
    ("  ", "long-enough", VIEWER, "bad_username"),
])
def test_bad_accounts_are_refused(db, name, password, role, code):
    with pytest.raises(AccountError) as err, db.write() as s:
        accounts.create_user(s, name, password, role)
    assert err.value.code == code
    with db.read() as s:
        assert accounts.list_users(s) == []


def test_duplicate_user_role_and_password_changes_are_audited(db):
    with db.write() as s:
        accounts.create_user(s, "li", "long-enough")
    with pytest.raises(AccountError) as err, db.write() as s:
        accounts.create_user(s, "li", "long-enough")
    assert err.value.code == "user_exists"
    with db.write() as s:
        accounts.set_role(s, "li", ADMIN)
        accounts.set_password(s, "li", "another-pass")
    with db.read() as s:
        assert accounts.authenticate(s, "li", "another-pass").role == ADMIN
        actions = [e.action for e in audit.entries(s)]
        assert actions == ["user.set_password", "user.set_role", "user.create"]
        assert audit.as_dict(audit.entries(s)[1])["after"] == {"role": ADMIN}


def test_api_tokens_replace_each_other(db):
    with db.write() as s:
        accounts.create_user(s, "bot", "long-enough", LAND_STAFF)
        first = accounts.new_api_token(s, "bot")
        second = accounts.new_api_token(s, "bot")
    with db.read() as s:
        assert accounts.user_for_token(s, first) is None
        assert accounts.user_for_token(s, second).username == "bot"
        assert accounts.user_for_token(s, "") is None


def test_roles_include_those_below_them():
    assert accounts.may(VIEWER, VIEWER)
    assert not accounts.may(VIEWER, LAND_STAFF)
    assert accounts.may(LAND_STAFF, VIEWER) and accounts.may(LAND_STAFF, LAND_STAFF)
    assert not accounts.may(LAND_STAFF, ADMIN)
    assert accounts.may(ADMIN, LAND_STAFF) and accounts.may(ADMIN, ADMIN)
    assert not accounts.may("stranger", VIEWER)


def test_planners_record_figures_but_do_no_land_staff_work():
    from store.accounts import PLANNER

    assert accounts.may(PLANNER, VIEWER) and accounts.may(PLANNER, PLANNER)
    assert not accounts.may(PLANNER, LAND_STAFF) and not accounts.may(LAND_STAFF, PLANNER)
    assert not accounts.may(VIEWER, PLANNER) and accounts.may(ADMIN, PLANNER)
    assert PLANNER in accounts.ROLES


def test_an_older_database_gets_the_session_column_and_keeps_its_users(ledger_db):
    """Databases made before ``users.session_gen`` existed: create_all adds it, users keep working."""
    from sqlalchemy import inspect, text

    with ledger_db.write() as s:
        accounts.create_user(s, "li", "s3cret-pass", LAND_STAFF)
    with ledger_db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE users DROP COLUMN session_gen"))  # as an older release made it
    ledger_db.create_all()
    ledger_db.create_all()  # and again: nothing to add
    assert "session_gen" in {c["name"] for c in inspect(ledger_db.engine).get_columns("users")}
    with ledger_db.write() as s:
        assert accounts.authenticate(s, "li", "s3cret-pass").session_gen == 0
        assert accounts.revoke_sessions(s, "li").session_gen == 1


def test_revoking_ends_sessions_and_drops_the_token(db):
    with db.write() as s:
        accounts.create_user(s, "li", "s3cret-pass", LAND_STAFF)
        token = accounts.new_api_token(s, "li")
    with db.write() as s:
        accounts.set_active(s, "li", False, actor="admin")
    with db.write() as s:
        user = accounts.set_active(s, "li", True, actor="admin")
        assert user.session_gen == 1 and user.token_hash is None
        assert accounts.user_for_token(s, token) is None  # enabling brings no old token back
        assert [e.action for e in audit.entries(s, limit=2)] == ["user.enable", "user.disable"]


def test_user_names_are_limited_to_the_column():
    with pytest.raises(AccountError) as err:
        accounts.create_user(None, "x" * (accounts.MAX_USERNAME + 1), "long-enough")
    assert err.value.code == "bad_username"
