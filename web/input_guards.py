"""Input no view should ever see: refused before routing or before the view runs.

* ``<int:…>`` in every route is :class:`DatabaseInteger`: ids are database integers, so a
  number past a signed 64-bit integer is no route (404), not an overflow in the driver.
* A NUL character in the path, a query parameter, a form field, a file name or a JSON string is
  a 400: no field takes one, and PostgreSQL cannot even compare one (its driver raises).
* A form field or JSON string longer than :data:`MAX_TEXT_CHARS` is a 400: reasons, names and
  notes are short, and a 40 MB "reason" would otherwise go into the audit trail. (Query
  strings are bounded by the server's request-line limit.) So is an uploaded file's name longer
  than :data:`MAX_FILENAME_CHARS`, the size of the column that records it.

The first two were found by fuzzing the API (tests/test_fuzz_api.py).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from core.errors import UserError

#: the longest text any form field or JSON string may hold (an audit reason, a name, a note)
MAX_TEXT_CHARS = 2000
#: the longest name of an uploaded file (stored with each check and import)
MAX_FILENAME_CHARS = 255


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


def refuse_bad_text() -> None:
    """Refuse a request carrying a NUL character in any text it sends, or a form field or JSON
    string longer than :data:`MAX_TEXT_CHARS`, or a file name longer than :data:`MAX_FILENAME_CHARS`."""
    texts, fields, names = [request.path, *_texts(request.args)], [], []
    if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        fields, names = _texts(request.form), [f.filename or "" for f in request.files.values()]
        texts += [*fields, *names]
    elif request.is_json:
        fields = list(_strings(request.get_json(silent=True)))
        texts += fields
    if any("\x00" in t for t in texts if isinstance(t, str)):
        raise UserError("请求中含有空字符（\\0），任何字段都不接受该字符。",
                            "The request contains a NUL character, which no field accepts.",
                            code="nul_character")
    if any(len(t) > MAX_TEXT_CHARS for t in fields if isinstance(t, str)):
        raise UserError(f"填写的文字过长：每项最多 {MAX_TEXT_CHARS} 个字符，未做任何更改。",
                        f"A text is too long: each field holds at most {MAX_TEXT_CHARS} characters; "
                        "nothing was changed.", code="text_too_long")
    if any(len(name) > MAX_FILENAME_CHARS for name in names):
        raise UserError(f"文件名过长（最多 {MAX_FILENAME_CHARS} 个字符），请改短后重新上传。",
                        f"The file name is too long (at most {MAX_FILENAME_CHARS} characters): "
                        "rename the file and upload it again.", code="file_name_too_long")


def init_app(app: Flask) -> None:
    """Call before the other areas register their routes (the ``int`` converter applies to
    rules added afterwards)."""
    app.url_map.converters["int"] = DatabaseInteger
    app.before_request(refuse_bad_text)
