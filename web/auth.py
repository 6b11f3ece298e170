"""Sign-in, roles, CSRF protection and the database for the web layer (issue 3).

For other areas::

    from web.auth import ADMIN, LAND_STAFF, database, role_required, current_actor

    @bp.post("/import")
    @role_required(ADMIN)             # or role_required() for any signed-in user
    def import_layer(): ...

* Roles (:data:`store.accounts.INCLUDES`): every role may what a ``viewer`` may, ``planner`` and
  ``land_staff`` each their own work, ``admin`` everything; so ``role_required(LAND_STAFF)``
  admits land staff and admins, ``role_required(PLANNER)`` planners and admins.
* Pages: an anonymous visitor is sent to the sign-in page; a signed-in user without the role
  gets 403. JSON (``/api/…``): 401 or 403 with a bilingual message.
* Every POST form needs ``{{ csrf_token() }}`` (Flask-WTF ``CSRFProtect`` covers the whole app).
* JSON API: a browser uses its session cookie and sends the CSRF token (``X-CSRFToken`` header);
  a script sends ``Authorization: Bearer <token>`` (``flask users token <name>``) and, sending no
  cookie, needs no CSRF token. API blueprints call :func:`protect_api` before their POSTs.
* A session names the user and their ``session_gen`` (:mod:`store.accounts`): signing out, a
  new password, ``flask users disable`` or ``revoke-tokens`` raise it, which ends every session
  of that user (on every browser) and revokes their API token.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

import click
from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from flask.cli import AppGroup
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from core.errors import UserError
from store import accounts
from store.accounts import ADMIN, LAND_STAFF, PLANNER, ROLE_LABELS, ROLES, VIEWER
from store.db import Database
from web.errors import respond, wants_json

__all__ = ["ADMIN", "LAND_STAFF", "PLANNER", "ROLES", "VIEWER", "bp", "current_actor", "database",
           "login_required", "role_required"]

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()
csrf = CSRFProtect()
DB_KEY = "atlas_db"


class SignInRequired(UserError):
    status = 401


class Forbidden(UserError):
    status = 403


class SignedIn(UserMixin):
    """The signed-in person as the web layer sees them (no database session attached)."""

    def __init__(self, user_id: int, username: str, role: str, session_gen: int = 0):
        self.id, self.username, self.role, self.session_gen = user_id, username, role, session_gen

    @classmethod
    def of(cls, user) -> SignedIn:
        return cls(user.id, user.username, user.role, user.session_gen or 0)

    def get_id(self) -> str:
        """What the session cookie holds: ``<id>:<session_gen>`` (see :func:`_load_user`)."""
        return f"{self.id}:{self.session_gen}"

    def may(self, *roles: str) -> bool:
        return accounts.may(self.role, *roles)


def database() -> Database:
    """The app's :class:`store.db.Database` (created at start-up, tables included)."""
    return current_app.extensions[DB_KEY]


def init_database(app: Flask) -> Database:
    """Create the app's database and its missing tables and columns, once per app."""
    if DB_KEY not in app.extensions:
        db = Database(app.config["DATABASE_URL"])
        db.create_all()
        app.extensions[DB_KEY] = db
    return app.extensions[DB_KEY]


def current_actor() -> str:
    return current_user.username if current_user.is_authenticated else "anonymous"


def user_may(*roles: str) -> bool:
    """For templates: whether the signed-in user has one of ``roles`` (admins always do)."""
    return bool(current_user.is_authenticated and current_user.may(*roles))


def role_required(*roles: str):
    """Only signed-in users whose role includes one of ``roles`` (any signed-in user when none
    is given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if wants_json():
                    raise SignInRequired("请先登录，或在请求头中提供 API 令牌。",
                                         "Sign in first, or send an API token "
                                         "(Authorization: Bearer …).", code="sign_in_required")
                return login_manager.unauthorized()
            if roles and not current_user.may(*roles):
                labels = [ROLE_LABELS[r] for r in roles]
                raise Forbidden(f"此操作需要以下角色之一：{'、'.join(z for z, _ in labels)}。",
                                f"This needs one of these roles: {', '.join(e for _, e in labels)}.",
                                code="forbidden")
            return view(*args, **kwargs)

        return wrapped

    return decorator


login_required = role_required()


def protect_api() -> None:
    """CSRF check for an API write sent with the session cookie. Token requests are exempt, and
    so are anonymous ones (they carry no identity to abuse; the view answers 401)."""
    cfg = current_app.config
    if not current_user.is_authenticated or g.get("token_auth"):
        return
    if not cfg.get("WTF_CSRF_ENABLED", True):
        return
    if request.method in cfg.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")):
        csrf.protect()


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page cannot be used to bounce people elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("quota.ledger_page")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        with database().read() as session:
            user = accounts.authenticate(session, form.username.data, form.password.data)
            signed = SignedIn.of(user) if user else None
        if signed:
            login_user(signed)
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    status = 401 if failed else 200
    return render_template("auth/login.html", form=form, failed=failed,
                           next=request.args.get("next")), status


@bp.post("/logout")
def logout():
    """Sign out everywhere: every session of this user ends and their API token is revoked."""
    if current_user.is_authenticated:
        with database().write() as session:
            accounts.revoke_sessions(session, current_user.username, actor=current_user.username)
    logout_user()
    return redirect(url_for("auth.login"))


@login_manager.user_loader
def _load_user(session_id: str):
    """The user of a session, while their account is active and the session's generation is
    current (an older one was ended by a sign-out, a new password or a revocation)."""
    user_id, _, gen = session_id.partition(":")
    if not (user_id.isdigit() and gen.isdigit()):
        return None  # a session from before generations: sign in again
    with database().read() as session:
        from store.models import User

        user = session.get(User, int(user_id))
        if user is None or not user.active or (user.session_gen or 0) != int(gen):
            return None
        return SignedIn.of(user)


@login_manager.request_loader
def _load_from_token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with database().read() as session:
        user = accounts.user_for_token(session, header[len("Bearer "):].strip())
        if user is None:
            return None
        g.token_auth = True
        return SignedIn.of(user)


# ----- CLI: flask users … ------------------------------------------------------------------

users_cli = AppGroup("users", help="Manage sign-in accounts (roles: " + ", ".join(ROLES) + ").")


def _cli_write(fn):
    try:
        with database().write() as session:
            return fn(session)
    except accounts.AccountError as exc:
        raise click.ClickException(f"{exc.zh} / {exc.en}") from exc


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default=VIEWER, show_default=True)
@click.password_option(help="The password (asked for when not given).")
def create_user_command(username, role, password):
    """Create a user."""
    _cli_write(lambda s: accounts.create_user(s, username, password, role))
    click.echo(f"created {username} ({role})")


@users_cli.command("list")
def list_users_command():
    """List users and their roles."""
    with database().read() as session:
        for user in accounts.list_users(session):
            state = "" if user.active else " (inactive)"
            click.echo(f"{user.username}\t{user.role}{state}")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(username, role):
    """Change a user's role."""
    _cli_write(lambda s: accounts.set_role(s, username, role))
    click.echo(f"{username} is now {role}")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option(help="The new password (asked for when not given).")
def set_password_command(username, password):
    """Set a user's password (their sessions and API token end)."""
    _cli_write(lambda s: accounts.set_password(s, username, password))
    click.echo(f"password changed for {username}")


@users_cli.command("token")
@click.argument("username")
def token_command(username):
    """Issue a new API token for scripts (replaces the previous one; shown only once)."""
    click.echo(_cli_write(lambda s: accounts.new_api_token(s, username)))


@users_cli.command("revoke-tokens")
@click.argument("username")
def revoke_tokens_command(username):
    """Revoke the user's API token and end all their sign-in sessions."""
    _cli_write(lambda s: accounts.revoke_sessions(s, username))
    click.echo(f"sessions and API token of {username} revoked")


@users_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable an account: no sign-in, no API token; its sessions end."""
    _cli_write(lambda s: accounts.set_active(s, username, False))
    click.echo(f"{username} is disabled")


@users_cli.command("enable")
@click.argument("username")
def enable_command(username):
    """Enable a disabled account again (a new API token is needed: `flask users token`)."""
    _cli_write(lambda s: accounts.set_active(s, username, True))
    click.echo(f"{username} is enabled")


@users_cli.command("delete")
@click.argument("username")
@click.confirmation_option(prompt="Delete this account? Its audit lines are kept.")
def delete_command(username):
    """Delete an account (the audit trail keeps its name)."""
    _cli_write(lambda s: accounts.delete_user(s, username))
    click.echo(f"{username} deleted")


def _csrf_refused(exc: CSRFError):
    return respond(400, {"error": "csrf", "details": exc.description,
                         "message_zh": "表单已过期或缺少安全令牌，未做任何更改。请刷新页面后重新提交。",
                         "message_en": "The form has expired or lacks its security token; nothing was "
                                       "changed. Reload the page and submit again."})


def init_login(app: Flask) -> None:
    """Sign-in sessions, bearer tokens and CSRF protection for every form."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.jinja_env.globals.update(user_may=user_may, role_labels=ROLE_LABELS)
