"""OGC API – Features (issue 5)."""

from flask import Blueprint

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
