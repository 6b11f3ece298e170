"""JSON API: layers as GeoJSON (EPSG:4326) or as files to download, the plan's targets, and
the place search."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request, send_file, url_for
from werkzeug.wsgi import ClosingIterator

from core.errors import UserError
from geo.crs import CGCS2000
from geo.vector_write import DOWNLOAD_EPSG, FORMATS
from layers.downloads import download_layer
from layers.labels import tr
from layers.web.geojson import layer_geojson_text
from parks import places
from parks.catalog import BOUNDARY_LEVELS, LAYERS
from parks.sources import read_plan_targets
from web.context import catalog
from web.i18n import current_lang

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/layers")
def list_layers():
    cat = catalog()
    return jsonify({
        "data_version": cat.data_version(),
        "download": {"formats": list(FORMATS), "crs": list(DOWNLOAD_EPSG),
                     "example": url_for("api.get_layer", name="parks", format="gpkg", crs=4547)},
        "layers": [{"name": info.name, "title_zh": info.title_zh, "title_en": info.title_en,
                    "geometry": info.geometry, "description_zh": info.description_zh,
                    "description_en": info.description_en,
                    "url": url_for("api.get_layer", name=info.name)}
                   for info in LAYERS.values()],
    })


def _tolerance() -> float:
    raw = request.args.get("tolerance", "")
    try:
        value = float(raw) if raw else None
    except ValueError:
        value = -1
    if value is not None and not 0 <= value <= 5000:
        raise UserError("tolerance 须为 0 到 5000 之间的米数。",
                            "tolerance must be a number of metres from 0 to 5000.",
                            code="bad_parameter")
    return value


@bp.get("/layers/<name>")
def get_layer(name: str):
    if name not in LAYERS:
        abort(404)
    level = request.args.get("level") or None  # the download form sends "" for all levels
    if level is not None and level not in BOUNDARY_LEVELS:
        raise UserError(f"level 须为 {'、'.join(BOUNDARY_LEVELS)} 之一。",
                            f"level must be one of {', '.join(BOUNDARY_LEVELS)}.",
                            code="bad_parameter")
    cat = catalog()
    version = cat.data_version()
    etag = f'"{version}-{request.query_string.decode()}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    if "format" in request.args:
        resp = _download(cat, name, level)
    else:
        if "crs" in request.args:
            formats = ", ".join(FORMATS)
            raise UserError(f"crs 只用于下载文件，请同时给出 format（{formats}）。",
                                f"crs applies to file downloads: add format ({formats}).",
                                code="bad_parameter")
        resp = Response(layer_geojson_text(cat, name, level=level, tolerance_m=_tolerance()),
                        mimetype="application/geo+json")
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _download(cat, name: str, level: str | None):
    """The layer as a file: ``format`` gpkg|shp|geojson|csv|kml, ``crs`` an EPSG code (4490).

    The file is streamed from disk and removed once the server closes the response. send_file
    hands the server the open file as the body (direct passthrough), so closing the body removes
    it; when compression re-encodes the body, closing the Response does (``call_on_close``)."""
    file = download_layer(cat, name, request.args["format"], request.args.get("crs", CGCS2000),
                          level=level, tolerance_m=_tolerance())
    try:
        resp = send_file(file.path, mimetype=file.mimetype, as_attachment=True,
                         download_name=file.filename, etag=False)
    except BaseException:
        file.close()
        raise
    resp.response = ClosingIterator(resp.response, file.close)
    resp.call_on_close(file.close)
    return resp


@bp.get("/plan")
def plan():
    return jsonify({"source_zh": "《河南省推动科技创新培育战略性新兴产业专项工作方案》（2012-11-01）",
                    "source_en": "Henan plan to promote S&T innovation and cultivate SEIs "
                                 "(2012-11-01)",
                    "targets": read_plan_targets()})


def limit_arg(default: int, most: int) -> int:
    """The ``limit`` query argument: a whole number from 1 to ``most`` (``default`` when absent)."""
    raw = request.args.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise UserError(f"limit 须为 1 到 {most} 之间的整数。",
                        f"limit must be a whole number from 1 to {most}.", code="bad_parameter")
    return int(raw)


@bp.get("/places")
def search_places():
    """Henan's cities, counties and towns matching ``q`` (Chinese, pinyin or English), best first."""
    q = request.args.get("q", "")
    if not places.normalise(q):
        raise UserError("请给出要查找的地名（q）。", "Give a place name to look for (q).",
                        code="bad_parameter")
    total, found = places.search(q, limit=limit_arg(10, places.MAX_RESULTS))
    lang = current_lang()
    return jsonify({
        "query": q, "total": total, "attribution": tr(lang, *places.ATTRIBUTION),
        "places": [p.as_dict() | {"name": tr(lang, p.name_zh, p.name_en),
                                  "kind_label": tr(lang, *places.KIND_LABELS[p.kind]),
                                  "parent": places.parent_name(p, lang)} for p in found]})
