"""Map export and pitch packs: the /export/ page, GET /api/export(/pack), `flask export …`.

Handlers only parse, call :mod:`layers.print.render` / :mod:`layers.print.pitch_pack` and send the file.
Rendering happens in the request's own thread (matplotlib's object-oriented API, no shared
state), in the bounded queue of :mod:`web.export_queue` (per process and per user), so a burst
of exports cannot take every worker thread or the memory of many 300 dpi canvases: beyond the
queue an export gets a 503 with ``Retry-After`` at once.
"""

from __future__ import annotations

import io
import sys
from functools import partial
from pathlib import Path

import click
from flask import Blueprint, Response, render_template, request, send_file
from flask.cli import AppGroup

from core.errors import UserError
from layers.labels import city as city_name
from layers.labels import pick
from layers.print.pitch_pack import PACK_FORMATS, pack_size, parse_pack_options, render_pack
from layers.print.render import Rendered, render
from layers.print.scope import resolve_scope
from layers.print.sheet import (
    DPI_CHOICES,
    FORMATS,
    MAP_LAYERS,
    MAX_TITLE,
    ORIENTATIONS,
    PAPERS_MM,
    THEMES,
    parse_options,
)
from parks import actuals
from parks.catalog import LAYERS
from web.auth import database
from web.console import input_error
from web.context import catalog
from web.export_queue import export_queue
from web.i18n import current_lang, download_lang, t
from web.indicators import shown_figures
from web.limits import user_or_address

bp = Blueprint("export", __name__, url_prefix="/export")
api_bp = Blueprint("export_api", __name__)

THEME_NAMES = {"layers": ("图层（与屏幕相同）", "Layers (as on screen)"),
               "builtup": ("建成面积 2012→2013", "Built-up area 2012→2013"),
               "revenue": ("收入：各市候选园区与集群", "Revenue: cities' candidate parks and clusters")}


def _args(lang: str) -> dict:
    """Query parameters as one value each; repeated ``layers`` (form checkboxes) are joined;
    ``lang`` when the query has none."""
    args = request.args.to_dict()
    if len(request.args.getlist("layers")) > 1:
        args["layers"] = ",".join(request.args.getlist("layers"))
    args.setdefault("lang", lang)
    return args


def _send(result: Rendered) -> Response:
    """The file, named in Content-Disposition as RFC 5987 asks (a city's Chinese name survives)."""
    resp = send_file(io.BytesIO(result.content), mimetype=result.mimetype,
                     as_attachment=request.args.get("inline") != "1", download_name=result.filename)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Data-Version"] = result.metadata["data_version"]
    return resp


def _rendered(fn, *args) -> Rendered:
    return export_queue().run(user_or_address(), fn, *args)


def recorded_actuals():
    """The recorded and measured actual figures (as the pages show them, :func:`shown_figures`):
    sheets and pitch packs show them in place of derived ones."""
    return shown_figures(actuals.load(database()))


@api_bp.get("/api/export")
def export_map():
    options = parse_options(_args(download_lang()))
    return _send(_rendered(partial(render, catalog(), options, actuals=recorded_actuals())))


@api_bp.get("/api/export/pack")
def export_pack():
    options = parse_pack_options(_args(download_lang()))
    return _send(_rendered(partial(render_pack, catalog(), options, actuals=recorded_actuals())))


def _scopes(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The scopes a user can pick, grouped: province, cities, located parks, located clusters."""
    cat = catalog()
    parks, clusters = cat.layer("parks"), cat.layer("clusters")
    located = parks[parks.geometry.notna()]
    return [
        (t("全省", "Province"), [("province", t("河南省", "Henan Province"))]),
        (t("城市", "Cities"), [(f"city:{c}", city_name(c, lang)) for c in cat.boundaries("city")["name_zh"]]),
        (t("示范园区候选", "Candidate parks"),
         [(f"park:{r['id']}", pick(r, "name", lang)) for r in located.to_dict("records")]),
        (t("产业集群", "Industry clusters"),
         [(f"cluster:{r['id']}", pick(r, "name", lang))
          for r in clusters[clusters.geometry.notna()].to_dict("records")]),
    ]


@bp.get("/")
def index():
    lang = current_lang()
    try:
        options = parse_options(_args(lang))
        resolve_scope(catalog(), options)
        problem = None
    except UserError as exc:  # show the form with defaults and say what was wrong
        options, problem = parse_options({"lang": lang}), exc
    parks = catalog().layer("parks")
    candidates = parks[parks["kind"] == "candidate"].to_dict("records")
    return render_template(
        "export/index.html", options=options, problem=problem, scopes=_scopes(lang),
        layers=[(name, LAYERS[name]) for name in MAP_LAYERS], papers=PAPERS_MM, orientations=ORIENTATIONS,
        formats=FORMATS, dpis=DPI_CHOICES, themes=THEMES, theme_names=THEME_NAMES, max_title=MAX_TITLE,
        candidates=candidates, pack_formats=PACK_FORMATS)


# --- command line ---------------------------------------------------------------------------

def _write(result: Rendered, out: Path | None) -> None:
    path = out or Path(result.filename)
    if path.is_dir():
        path = path / result.filename
    path.write_bytes(result.content)
    click.echo(f"wrote {path} ({len(result.content):,} bytes)")


export_cli = AppGroup("export", help="Print-quality maps and pitch packs from the command line "
                                      "(as /export/ makes them).")


@export_cli.command("map")
@click.option("--scope", default="province", show_default=True,
              help="province, city:<城市名>, park:<id> or cluster:<id>.")
@click.option("--layers", default=None, help=f"Comma-separated: {','.join(MAP_LAYERS)} (default: all).")
@click.option("--format", "fmt", default="png", show_default=True, help=f"{' | '.join(FORMATS)}.")
@click.option("--paper", default="A4", show_default=True, help="A4 | A3.")
@click.option("--orientation", default="portrait", show_default=True, help="portrait | landscape.")
@click.option("--dpi", default="300", show_default=True, help="72–300 (150 or 300 usual).")
@click.option("--lang", default="zh", show_default=True, help="zh | en.")
@click.option("--theme", default=None, help=f"{' | '.join(THEMES)} (default layers; revenue for a cluster).")
@click.option("--title", default="", help=f"Sheet title (at most {MAX_TITLE} characters).")
@click.option("--bbox", default=None, help="minlon,minlat,maxlon,maxlat to frame.")
@click.option("-o", "--out", type=click.Path(dir_okay=True, path_type=Path), default=None,
              help="Output file or folder (default: a descriptive name in the current folder).")
def map_command(out: Path | None, **params):
    """One sheet as PNG, SVG or PDF."""
    args = {k: v for k, v in params.items() if v not in (None, "")}
    args["format"] = args.pop("fmt")
    try:
        options = parse_options(args)
        result = render(catalog(), options, actuals=recorded_actuals())
    except UserError as exc:
        raise input_error(exc) from exc
    _write(result, out)


@export_cli.command("pack")
@click.option("--parks", default="all", show_default=True, help="all, or comma-separated park ids.")
@click.option("--format", "fmt", default="pdf", show_default=True, help="pdf (one file) | zip (PNGs).")
@click.option("--paper", default="A4", show_default=True, help="A4 | A3.")
@click.option("--orientation", default="portrait", show_default=True, help="portrait | landscape.")
@click.option("--dpi", default="150", show_default=True, help="72–300 (PNG resolution in a zip).")
@click.option("--lang", default="zh", show_default=True, help="zh | en.")
@click.option("-o", "--out", type=click.Path(dir_okay=True, path_type=Path), default=None,
              help="Output file or folder (default: a descriptive name in the current folder).")
def pack_command(out: Path | None, fmt: str, **params):
    """A cover and one sheet per located candidate park, with a progress bar."""
    try:
        options = parse_pack_options({**params, "format": fmt})
        cat = catalog()
        with click.progressbar(length=pack_size(cat, options), label="pages", file=sys.stderr,
                               item_show_func=lambda name: name) as bar:
            result = render_pack(cat, options, progress=lambda name: bar.update(1, name),
                                 actuals=recorded_actuals())
    except UserError as exc:
        raise input_error(exc) from exc
    _write(result, out)



