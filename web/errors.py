"""One place that turns errors into bilingual 4xx answers: JSON for the API, a page otherwise."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from core.errors import UserError

MESSAGES = {
    400: ("请求有误，请检查填写的内容。", "Bad request: please check what you entered."),
    403: ("您没有执行此操作的权限。", "You are not allowed to do this."),
    404: ("找不到该页面或数据。", "Not found."),
    405: ("不支持该请求方式。", "Method not allowed."),
    413: ("上传的文件过大，请压缩或拆分后再上传。",
          "The upload is too large: compress or split it and try again."),
    429: ("请求过于频繁，请稍后再试。", "Too many requests: please wait and try again."),
    500: ("服务器内部错误，已记录，请稍后再试。", "Internal error; it has been logged."),
}


def wants_json() -> bool:
    return (request.path.startswith(("/api/", "/ogc", "/tiles/"))
            or request.accept_mimetypes.best == "application/json")


def respond(status: int, payload: dict):
    if wants_json():
        return jsonify(payload), status
    return render_template("error.html", status=status, error=payload), status


def init_app(app: Flask) -> None:
    @app.errorhandler(UserError)
    def input_error(exc: UserError):
        response = make_response(respond(exc.status, exc.to_dict()))
        response.headers.update(getattr(exc, "headers", {}))  # e.g. Retry-After of a 503
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        zh, en = MESSAGES.get(exc.code, (exc.name, exc.name))
        payload = {"error": exc.name.lower().replace(" ", "_"), "message_zh": zh,
                   "message_en": en}
        if exc.description and exc.code == 400:
            payload["details"] = exc.description
        return respond(exc.code, payload)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        zh, en = MESSAGES[500]
        return respond(500, {"error": "internal", "message_zh": zh, "message_en": en})
