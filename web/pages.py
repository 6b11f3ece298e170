"""HTML pages for planners: the overview map, the park list and pages, and the views of built-up
area, revenue and investment, each with its target against actual (:mod:`parks.monitoring`)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from core.errors import UserError
from layers.labels import basis_badge, city, num, precision_label, signed, tr
from layers.web.land_use_chart import land_use_chart
from layers.web.offline import map_parts
from layers.web.overview import THEMATIC, build_overview, filter_options, title
from layers.web.popups import evidence_html, original_text
from layers.web.target_chart import target_chart
from layers.web.views import monitor_map, park_map
from parks import actuals, monitoring, places, summary
from parks import provenance as pv
from parks.evidence import STRENGTH
from parks.footprints import RULES
from parks.nearby import nearby, park_record
from parks.sources import PARK_SLOTS, plan_target, read_plan_targets
from web.assets import bp as vendor_bp
from web.auth import database
from web.basemap import basemap_spec
from web.context import catalog, tiles
from web.i18n import LANGS, current_lang
from web.indicators import park_indicators, shown_figures
from web.indicators import stamp as survey_stamp

bp = Blueprint("pages", __name__)

def _records(df) -> list[dict]:
    """DataFrame rows as dicts for templates, with NaN as None (so ``or`` and ``if`` work)."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _vendor_base() -> str:
    return f"{request.script_root}{vendor_bp.url_prefix}"


def detail_url(layer: str, fid: str) -> str | None:
    return url_for("pages.park", park_id=fid) if layer == "parks" else None


def export_url(scope: str, theme: str | None = None) -> str:
    """The export form for ``scope`` (province, city:<名>, park:<id>, cluster:<id>)."""
    return url_for("export.index", scope=scope, **({"theme": theme} if theme else {}))


def lang_url(lang: str) -> str:
    """The current page in another language (keeps the other query arguments)."""
    args = request.args.to_dict() | {"lang": lang}
    if request.endpoint and request.url_rule is not None:
        try:
            return url_for(request.endpoint, **(request.view_args or {}), **args)
        except Exception:  # an endpoint that cannot be rebuilt (e.g. an error page)
            pass
    return f"?lang={lang}"


def _tiled_layers() -> dict[str, str]:
    """The thematic layers too big to inline, and their TileJSON URL."""
    return {name: url_for("tiles.tilejson_doc", layer=name) for name in THEMATIC
            if tiles().tiled_on_map(name)}


def _overview_context(lang: str, tiled: dict[str, str]) -> dict:
    cat, config = catalog(), current_app.config
    m, map_config = build_overview(
        cat, lang=lang, boundary_url=url_for("api.get_layer", name="boundaries"),
        detail_url=detail_url, vendor_base=_vendor_base(),
        tile_url=config["TILE_URL"], tile_attribution=config["TILE_ATTRIBUTION"], tile_key=config["TILE_KEY"],
        tiled=tiled, actuals=shown_figures(actuals.load(database())), basemap=basemap_spec())
    unlocated = summary.unlocated(cat, THEMATIC)
    map_config["exportUrl"] = export_url("province")
    map_config["root"] = request.script_root
    map_config["placesUrl"] = url_for("api.search_places")
    map_config["unlocated"] = _records(unlocated[["layer", "id", "name_zh", "name_en"]])
    first_tolerance = map_config["tolerances"][0][1]
    return {"map": map_parts(m), "config": map_config, "filters": filter_options(cat, lang),
            "targets": read_plan_targets(), "unlocated": _records(unlocated),
            "place_credit": tr(lang, *places.ATTRIBUTION) + tr(lang, "。", "."),
            "prefetch": [f"{b['url']}&tolerance={first_tolerance}" for b in map_config["boundaries"]]
            + [t["tilejson"] for t in map_config["tiled"]]}


def _cached(page: str, build, *key):
    """``build()`` (a page's map and figures), kept per page, ``key``, language, data version
    (the layers' and the recorded actual figures') and configuration: maps are rebuilt only when
    the data or the settings change."""
    lang, config = current_lang(), current_app.config
    version = f"{catalog().data_version()}|{actuals.stamp(database())}|{survey_stamp()}"
    full = (page, *key, lang, version, config["TILE_URL"], config["TILE_ATTRIBUTION"], config["TILE_KEY"],
            request.script_root)
    cache = current_app.extensions.setdefault("atlas_page_maps", {})
    if full not in cache:
        for old in [k for k in cache if version not in k]:  # keep one data version only
            cache.pop(old, None)
        cache[full] = build()
    return cache[full]


@bp.get("/")
def overview():
    """The overview map (kept per language, data version and configuration)."""
    tiled = _tiled_layers()
    context = _cached("overview", lambda: _overview_context(current_lang(), tiled), tuple(tiled))
    return render_template("overview.html", **context)


@bp.get("/parks/")
def park_list():
    parks = catalog().layer("parks")
    return render_template("parks.html", parks=_records(parks.drop(columns="geometry")),
                           built=summary.built_up(parks))


def _park_context(park_id: str) -> dict:
    cat = catalog()
    try:
        record = park_record(cat, park_id)
    except KeyError:
        abort(404)
    near = nearby(cat, park_id)
    recorded = shown_figures(actuals.load(database(), area_id=park_id))
    recorded = recorded[recorded["area_id"] == park_id]
    m = park_map(cat, park_id, near, lang=current_lang(), detail_url=detail_url,
                 vendor_base=_vendor_base(), actuals=recorded)
    parks = cat.layer("parks")  # the park's figures, recorded actuals in place of derived ones
    record |= actuals.with_actuals(parks[parks["id"] == park_id], recorded).iloc[0].to_dict()
    record = {k: (None if v is None or v != v else v) for k, v in record.items() if k != "geometry"}
    measured = park_indicators(park_id)
    return {"park": record, "near": _records(near), "map": map_parts(m) if m is not None else None,
            "export": export_url(f"park:{park_id}"), "measured": measured,
            "land_use_chart": Markup(land_use_chart(measured, current_lang())) if measured else None}


@bp.get("/parks/<park_id>")
def park(park_id: str):
    return render_template("park.html", **_cached("park", lambda: _park_context(park_id), park_id))


def _years(metric: str, recorded) -> list[int]:
    """The years a view offers: the plan's, and those with a recorded figure of ``metric``."""
    return sorted(set(summary.YEARS) | set(recorded.loc[recorded["metric"] == metric, "year"]))


def _monitored(metric: str, default_level: str) -> tuple[int, str, object]:
    """The view's ``?year=`` (one of :func:`_years`) and ``?level=`` (park, city, zone, cluster),
    and the recorded figures with the measured ones; 400 for any other year or level. Without
    ``?year=`` the latest measured year is shown when a survey gives one, else the plan's last."""
    recorded = shown_figures(actuals.load(database()))
    years = _years(metric, recorded)
    measured_years = recorded.loc[(recorded["metric"] == metric) & (recorded["basis"] == pv.MEASURED), "year"]
    raw = request.args.get("year") or str(max(measured_years, default=max(summary.YEARS)))
    if not raw.isdigit() or int(raw) not in years:
        listed = ", ".join(map(str, years))
        raise UserError(f"year 须为 {listed.replace(', ', '、')} 之一。", f"year must be one of {listed}.",
                        code="bad_parameter")
    level = request.args.get("level") or default_level
    if level not in monitoring.LEVELS:
        raise UserError(f"level 须为 {'、'.join(monitoring.LEVELS)} 之一。",
                        f"level must be one of {', '.join(monitoring.LEVELS)}.", code="bad_parameter")
    return int(raw), level, recorded


def _monitor_context(metric: str, year: int, level: str, recorded) -> dict:
    """Target against actual of ``metric``: the comparison, its map and its chart."""
    cat = catalog()
    comparison = monitoring.compare(actuals.metrics()[metric], year, level, parks=cat.layer("parks"),
                                    zones=cat.layer("zones"), clusters=cat.layer("clusters"),
                                    cities=cat.boundaries("city", 0), actuals=recorded)
    m = monitor_map(cat, comparison, lang=current_lang(), detail_url=detail_url, vendor_base=_vendor_base())
    return {"map": map_parts(m), "monitor": comparison, "monitor_rows": _records(comparison["rows"]),
            "chart": Markup(target_chart(comparison, current_lang())), "years": _years(metric, recorded),
            "levels": monitoring.LEVELS, "level_labels": monitoring.LEVEL_LABELS,
            "status_labels": monitoring.STATUS_LABELS}


def _view(page: str, metric: str, default_level: str, build):
    """A monitored view, kept per year and level."""
    year, level, recorded = _monitored(metric, default_level)
    context = _cached(page, lambda: _monitor_context(metric, year, level, recorded) | build(year, recorded),
                      year, level)
    return render_template(f"{page}.html", **context)


@bp.get("/views/built-up")
def built_up():
    return _view("built_up", "built_up_km2", "park", _built_up_context)


def _built_up_context(year: int, recorded) -> dict:
    measured = recorded[(recorded["metric"] == "built_up_km2") & (recorded["basis"] == pv.MEASURED)]
    return {"built": summary.built_up(catalog().layer("parks"), actuals=recorded),
            "measured_years": sorted(set(measured["year"]))}


@bp.get("/views/revenue")
def revenue():
    return _view("revenue", "revenue_yi", "city", _revenue_context)


def _revenue_context(year: int, recorded) -> dict:
    cat = catalog()
    by_city = summary.revenue_by_city(cat.layer("parks"), cat.boundaries("city", 0), actuals=recorded)
    clusters = summary.cluster_revenue(cat.layer("clusters"))
    return {"year": year, "revenue": by_city, "cities": _records(by_city["cities"]),
            "clusters": _records(clusters)}


@bp.get("/views/investment")
def investment():
    return _view("investment", "investment_yi", "park",
                 lambda year, recorded: {"plan": plan_target(actuals.metrics()["investment_yi"].target)})


def init_templates(app: Flask) -> None:
    """Helpers every page template uses (labels, numbers, links in the current language)."""
    app.jinja_env.globals.update(
        lang_url=lang_url, langs=LANGS, export_url=export_url,
        basis_badge=lambda basis: Markup(basis_badge(basis, current_lang())),
        precision_label=lambda p: precision_label(p, current_lang()),
        city_name=lambda name: city(name or "", current_lang()),
        rule_text=lambda code: tr(current_lang(), *RULES.get(code, RULES["none"])),
        layer_title=lambda name: title(name, current_lang()), even_split_rule=summary.EVEN_SPLIT_RULE,
        park_slots=PARK_SLOTS, strength_label=lambda s: tr(current_lang(), *STRENGTH.get(s, (s, s))),
        evidence_html=lambda evidence, source: Markup(evidence_html(evidence, source, current_lang())),
        original_text=lambda text: Markup(original_text(text, current_lang())))
    app.jinja_env.filters["num"] = num
    app.jinja_env.filters["signed"] = signed
