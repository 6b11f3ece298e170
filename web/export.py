"""Map export and pitch packs (issue 4)."""

from flask import Blueprint

bp = Blueprint("export", __name__, url_prefix="/export")
