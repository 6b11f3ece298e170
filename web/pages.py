"""HTML pages for planners: the overview map and the views built on it."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def overview():
    return render_template("overview.html")
