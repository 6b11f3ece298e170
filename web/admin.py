"""Layer import for admins (issue 5)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
