"""Structured request logs: one JSON line per request on the ``sei_atlas.requests`` logger.

Fields: ``time`` (UTC, ISO 8601), ``method``, ``path``, ``status``, ``duration_ms``, ``bytes``,
``user`` (username, or ``-``), ``remote``, ``request_id``. The request id is the client's
``X-Request-ID`` when it is a plain token (as nginx's ``$request_id`` is), otherwise a new one;
it is sent back in the ``X-Request-ID`` header and added to error logs, so a clerk's
complaint ("error … id 3f2a…") finds its log lines.

``REQUEST_LOG`` says where the lines go: ``-`` standard error (the default, for systemd/journald
or docker), a file path (appended to; rotate with logrotate's ``copytruncate``), or empty for none.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, request

LOGGER = "sei_atlas.requests"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    """The current request's id (from ``X-Request-ID`` when well-formed, else a new one)."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    return g.request_id


def _user() -> str:
    from flask_login import current_user

    try:
        return current_user.username if current_user.is_authenticated else "-"
    except Exception:  # the database is down: the request line still gets written
        return "?"


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, dict):
            return json.dumps(record.msg, ensure_ascii=False, separators=(",", ":"))
        return super().format(record)


class _RequestIdFilter(logging.Filter):
    """Adds ``[request <id>]`` to the app's own log records made during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        if has_request_context() and not getattr(record, "_with_request_id", False):
            record.msg = f"{record.msg} [request {request_id()}]"
            record._with_request_id = True
        return True


def configure(app: Flask) -> logging.Logger | None:
    """The request logger of ``app``: its own logger object (not shared through
    ``logging.getLogger``), so two apps in one process never write to each other's file."""
    target = app.config.get("REQUEST_LOG", "-")
    if not target:
        return None
    logger = logging.Logger(LOGGER, logging.INFO)
    handler = (logging.StreamHandler(sys.stderr) if target == "-"
               else logging.FileHandler(target, encoding="utf-8"))
    handler.setFormatter(_JsonLines())
    logger.addHandler(handler)
    return logger


def init_app(app: Flask) -> None:
    logger = configure(app)
    if not any(isinstance(f, _RequestIdFilter) for f in app.logger.filters):  # one logger per app name
        app.logger.addFilter(_RequestIdFilter())

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        request_id()

    @app.after_request
    def _log(response):
        response.headers["X-Request-ID"] = request_id()
        if logger is not None:
            started = g.get("request_started", time.perf_counter())
            logger.info({
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": response.calculate_content_length(), "user": _user(),
                "remote": request.remote_addr, "request_id": request_id(),
            })
        return response
