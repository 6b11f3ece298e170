"""The map legend: what colour, line style and marker shape mean, drawn from the shared styles.

:func:`legend_sections` is plain data (also usable for printed maps); :func:`legend_html` draws
it with small inline SVG swatches; :class:`Legend` puts that HTML on a Folium map as a Leaflet
control.
"""

from __future__ import annotations

from html import escape

from branca.element import MacroElement
from jinja2 import Template

from layers.labels import tr
from layers.styles import BOUNDARY_STYLE, LAYER_COLOURS, PRECISION_MARKER, SECTOR_COLOURS
from parks.build import SECTORS_EN

GREY = "#555555"


def legend_sections(lang: str) -> list[tuple[str, list[dict]]]:
    """[(section title, [{"kind": "area"|"marker"|"line", "label", "layer", style keys…}])].

    ``layer`` names the map layer an item stands for (a boundary level for boundaries)."""
    return [(title, items) for _, title, items in keyed_sections(lang)]


def keyed_sections(lang: str) -> list[tuple[str, str, list[dict]]]:
    """:func:`legend_sections` with a key per section: ``layers``, ``precision``, ``boundaries``."""
    layers = [
        {"kind": "area", "layer": "parks", "colour": LAYER_COLOURS["parks"], "dash": "4 3",
         "label": tr(lang, "示范园区候选（候选，未确认；示意范围）",
                     "Demonstration-park candidates (unconfirmed; schematic extent)")},
        {"kind": "area", "layer": "zones", "colour": LAYER_COLOURS["zones"], "dash": "4 3",
         "label": tr(lang, "高新区（示意范围）", "High-tech zones (schematic extent)")},
        {"kind": "marker", "layer": "foxconn", "colour": LAYER_COLOURS["foxconn"], **PRECISION_MARKER["site"],
         "label": tr(lang, "富士康园区及合作项目", "Foxconn sites and partner projects")},
        *({"kind": "marker", "layer": "projects", "colour": colour, **PRECISION_MARKER["site"],
           "label": tr(lang, f"重大项目：{sector}", f"Major projects: {SECTORS_EN[sector]}")}
          for sector, colour in SECTOR_COLOURS.items()),
        {"kind": "marker", "layer": "clusters", "colour": LAYER_COLOURS["clusters"],
         **PRECISION_MARKER["site"], "label": tr(lang, "特色产业集群", "Industry clusters")},
    ]
    precision = [
        {"kind": "marker", "colour": GREY, **PRECISION_MARKER["site"],
         "label": tr(lang, "实心点：厂址坐标", "Solid dot: plant coordinate")},
        {"kind": "marker", "colour": GREY, **PRECISION_MARKER["district"],
         "label": tr(lang, "半透明圈：园区/城区位置（1–3 km）", "Translucent: district point (1–3 km)")},
        {"kind": "marker", "colour": GREY, **PRECISION_MARKER["county seat"],
         "label": tr(lang, "空心虚线圈：县/市驻地，实际位置在该县市内",
                     "Hollow dashed ring: county/city seat, real site somewhere in it")},
    ]
    names = {"province": ("省界", "Province"), "city": ("市界", "City"), "county": ("县界", "County")}
    boundaries = [{"kind": "line", "layer": level, "colour": s["color"], "weight": s["weight"],
                   "label": tr(lang, *names[level])} for level, s in BOUNDARY_STYLE.items()]
    return [("layers", tr(lang, "图层", "Layers"), layers),
            ("precision", tr(lang, "位置精度", "Location precision"), precision),
            ("boundaries", tr(lang, "边界", "Boundaries"), boundaries)]


def swatch(item: dict) -> str:
    """A 22×16 inline SVG showing one legend item."""
    c = escape(item["colour"])
    dash = f' stroke-dasharray="{escape(item["dash"])}"' if item.get("dash") else ""
    if item["kind"] == "area":
        shape = f'<rect x="2" y="2" width="18" height="12" fill="{c}" fill-opacity="0.15" stroke="{c}" ' \
                f'stroke-width="2"{dash}/>'
    elif item["kind"] == "line":
        shape = f'<line x1="1" y1="8" x2="21" y2="8" stroke="{c}" stroke-width="{item["weight"] + 0.5}"/>'
    else:
        r = min(item["radius"], 7)
        shape = f'<circle cx="11" cy="8" r="{r}" fill="{c}" fill-opacity="{item["fill_opacity"]}" ' \
                f'stroke="{c}" stroke-width="2"{dash}/>'
    return f'<svg width="22" height="16" aria-hidden="true">{shape}</svg>'


def layer_swatch(layer: str, lang: str) -> str:
    """The swatch(es) of one map layer, e.g. for its entry in the layer switcher; a layer with
    several colours (projects by sector) gets one small dot per colour."""
    items = [i for _, section in legend_sections(lang) for i in section if i.get("layer") == layer]
    if len(items) == 1:
        return swatch(items[0])
    dots = "".join(f'<circle cx="{5 + 9 * n}" cy="8" r="4" fill="{escape(i["colour"])}"/>'
                   for n, i in enumerate(items))
    return f'<svg width="{9 * len(items) + 2}" height="16" aria-hidden="true">{dots}</svg>'


def legend_html(lang: str, *, sections: tuple[str, ...] | None = None, notes: list[str] | tuple = ()
                ) -> str:
    """The legend as HTML: every section, or only those keys in ``sections``."""
    parts = []
    for key, title, items in keyed_sections(lang):
        if sections is not None and key not in sections:
            continue
        rows = "".join(f"<li>{swatch(i)}<span>{escape(i['label'])}</span></li>" for i in items)
        parts.append(f"<h5>{escape(title)}</h5><ul>{rows}</ul>")
    parts.extend(f'<p class="note">{escape(n)}</p>' for n in notes)
    return "".join(parts)


class Legend(MacroElement):
    """A Leaflet control (class ``atlas-legend``) holding ready-made legend HTML; with a
    ``title`` it can be folded away."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create('div', 'atlas-legend leaflet-bar');
            {%- if this.title %}
            div.innerHTML = '<details open><summary>' + {{ this.title|tojson }} + '</summary>'
                + {{ this.html|tojson }} + '</details>';
            {%- else %}
            div.innerHTML = {{ this.html|tojson }};
            {%- endif %}
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, html: str, *, title: str | None = None, position: str = "bottomleft"):
        super().__init__()
        self._name = "Legend"
        self.html = html
        self.title = title
        self.position = position
