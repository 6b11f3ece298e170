"""User accounts and roles. Passwords and API tokens are stored only as salted hashes.

Sign-in sessions carry the user's ``session_gen``; :func:`revoke_sessions` raises it and drops
the API token, which ends every session and the token at once. Signing out, a new password and
disabling the account all do that.

Roles (every role may what viewers may; admins may everything, :data:`INCLUDES`):

* ``viewer`` — maps, the ledger, parcel checks (a check changes no figure);
* ``planner`` — also record actual figures against the plan's targets (:mod:`parks.actuals`);
* ``land_staff`` — also reserve / approve / release parcels and edit quotas;
* ``admin`` — also users and layer imports; an admin may do everything planners and land staff may.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import UserError
from store import audit
from store.models import User

VIEWER, PLANNER, LAND_STAFF, ADMIN = "viewer", "planner", "land_staff", "admin"
ROLES = (VIEWER, PLANNER, LAND_STAFF, ADMIN)
ROLE_LABELS = {VIEWER: ("查看", "viewer"), PLANNER: ("规划人员", "planner"),
               LAND_STAFF: ("国土业务人员", "land staff"), ADMIN: ("管理员", "admin")}
#: the roles whose rights each role has: its own and a viewer's; an admin's are all of them
INCLUDES = {VIEWER: {VIEWER}, PLANNER: {VIEWER, PLANNER}, LAND_STAFF: {VIEWER, LAND_STAFF},
            ADMIN: set(ROLES)}
MIN_PASSWORD = 8
MAX_USERNAME = 80  # the column's size


class AccountError(UserError):
    """A user-management request that cannot be done as asked."""


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"角色须为 {'、'.join(ROLES)} 之一。",
                           f"The role must be one of {', '.join(ROLES)}.", code="bad_role")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位。",
                           f"The password needs at least {MIN_PASSWORD} characters.",
                           code="weak_password")


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"没有用户“{username}”。", f"There is no user '{username}'.",
                           code="no_user")
    return user


def create_user(session: Session, username: str, password: str, role: str = VIEWER, *,
                actor: str = "cli") -> User:
    _check_role(role)
    _check_password(password)
    username = (username or "").strip()
    if not username or len(username) > MAX_USERNAME:
        raise AccountError(f"请填写用户名（最多 {MAX_USERNAME} 个字符）。",
                           f"Give a user name (at most {MAX_USERNAME} characters).", code="bad_username")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"用户“{username}”已存在。", f"The user '{username}' already exists.",
                           code="user_exists")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    audit.record(session, actor, "user.create", username, None, {"role": role})
    return user


def set_role(session: Session, username: str, role: str, *, actor: str = "cli") -> User:
    _check_role(role)
    user = get_user(session, username)
    audit.record(session, actor, "user.set_role", username, {"role": user.role}, {"role": role})
    user.role = role
    return user


def set_password(session: Session, username: str, password: str, *, actor: str = "cli") -> User:
    """A new password; the user's sessions and API token end (:func:`revoke_sessions`)."""
    _check_password(password)
    user = get_user(session, username)
    user.password_hash = generate_password_hash(password)
    audit.record(session, actor, "user.set_password", username)
    return _revoke(user)


def _revoke(user: User) -> User:
    user.session_gen = (user.session_gen or 0) + 1
    user.token_hash = None
    return user


def revoke_sessions(session: Session, username: str, *, actor: str = "cli") -> User:
    """End every sign-in session of ``username`` and revoke their API token."""
    user = get_user(session, username)
    audit.record(session, actor, "user.revoke_sessions", username)
    return _revoke(user)


def set_active(session: Session, username: str, active: bool, *, actor: str = "cli") -> User:
    """Enable or disable an account. A disabled account cannot sign in or use a token, and
    its sessions and token end (enabling it again does not bring them back)."""
    user = get_user(session, username)
    audit.record(session, actor, "user.enable" if active else "user.disable", username,
                 {"active": user.active}, {"active": active})
    user.active = active
    return user if active else _revoke(user)


def delete_user(session: Session, username: str, *, actor: str = "cli") -> None:
    """Delete an account (the audit trail keeps its name on every line it wrote)."""
    user = get_user(session, username)
    audit.record(session, actor, "user.delete", username, {"role": user.role}, None)
    session.delete(user)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same answer for either mistake)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    # Check a hash even for an unknown name, so timing does not reveal which names exist.
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    return user if ok and user is not None and user.active else None


def _token_digest(token: str) -> str:
    # Tokens are long random strings, so a fast unsalted digest is enough to look them up.
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token(session: Session, username: str, *, actor: str = "cli") -> str:
    """Issue a fresh API token for scripts (replacing any earlier one); returns it once."""
    user = get_user(session, username)
    token = secrets.token_urlsafe(32)
    user.token_hash = _token_digest(token)
    audit.record(session, actor, "user.new_token", username)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.token_hash == _token_digest(token)))
    return user if user is not None and user.active else None


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def may(role: str, *allowed: str) -> bool:
    """Whether ``role`` may do what any of ``allowed`` may (:data:`INCLUDES`): planners and
    land staff may what viewers may and their own work, admins everything."""
    if role not in INCLUDES:
        return False
    return not allowed or bool(INCLUDES[role] & set(allowed))
