"""Sign-in, users and roles (issue 3)."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
