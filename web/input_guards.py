"""Input no view should ever see: refused before routing or before the view runs.

* ``<int:…>`` in every route is :class:`DatabaseInteger`: ids are database integers, so a
  number past a signed 64-bit integer is no route (404), not an overflow in the driver.
* A NUL character in the path, a query parameter, a form field, a file name or a JSON string is
  a 400: no field takes one, and PostgreSQL cannot even compare one (its driver raises).

Both were found by fuzzing the API (tests/test_fuzz_api.py).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from core.errors import UserError


class DatabaseInteger(IntegerConverter):
    """``<int:…>`` in every route: ids are database integers, so a number beyond a signed
    64-bit integer is no route (404) rather than an overflow deep in the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def _strings(value):
    """Every string in a JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _texts(multidict) -> list[str]:
    return [text for key, values in multidict.lists() for text in (key, *values)]


def refuse_nul() -> None:
    """Refuse a request carrying a NUL character in any text it sends."""
    texts = [request.path, *_texts(request.args)]
    if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        texts += [*_texts(request.form), *(f.filename or "" for f in request.files.values())]
    elif request.is_json:
        texts += list(_strings(request.get_json(silent=True)))
    if any("\x00" in t for t in texts if isinstance(t, str)):
        raise UserError("请求中含有空字符（\\0），任何字段都不接受该字符。",
                            "The request contains a NUL character, which no field accepts.",
                            code="nul_character")


def init_app(app: Flask) -> None:
    """Call before the other areas register their routes (the ``int`` converter applies to
    rules added afterwards)."""
    app.url_map.converters["int"] = DatabaseInteger
    app.before_request(refuse_nul)
