"""Quota ledger and parcel checks (issue 3)."""

from flask import Blueprint

bp = Blueprint("quota", __name__, url_prefix="/quota")
