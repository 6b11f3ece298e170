"""OGC API – Features (Part 1 Core, Part 2 CRS by reference, Part 3 queryables), free of any
web framework.

The adapter (``web/ogc.py``) hands over the API's base URL, the query arguments and the
language, and gets back plain dicts or, for items, a ready JSON string; HTML is its business.
Collections are the thematic layers and one per boundary level; each is held as a
:class:`~layers.ogc.table.FeatureTable`, rebuilt only when its data changes. A big thematic layer
(:meth:`~parks.catalog.Catalog.is_big`) is never loaded whole: its table reads it light.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np

from geo.crs_ogc import CRS84
from layers.downloads import id_field
from layers.ogc.params import (
    CRS_LIST,
    DEFAULT_LIMIT,
    ITEM_PARAMS,
    ITEMS_PARAMS,
    MAX_LIMIT,
    STORAGE_CRS,
    check_datetime,
    check_known,
    int_param,
    not_found,
    parse_bbox,
    parse_crs,
    parse_flag,
    parse_properties,
    parse_sortby,
    property_filters,
)
from layers.ogc.table import FeatureTable
from layers.ogc.tiles import REL_TILESETS_VECTOR, REL_TILING_SCHEMES, TILES_CONFORMANCE
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import BOUNDARY_LEVELS, LAYERS, THEMATIC, Catalog

#: conformance classes, one list per standard (a new part, e.g. Tiles, adds its own list)
FEATURES_CORE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
FEATURES_CRS = ["http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"]
#: Part 3: queryables, usable as query parameters (no CQL2 ``filter``)
FEATURES_QUERYABLES = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
CONFORMANCE = [*FEATURES_CORE, *FEATURES_CRS, *FEATURES_QUERYABLES, *TILES_CONFORMANCE]
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
#: long free texts (evidence, sources) are served but not offered as filters
NOT_QUERYABLE = ("evidence", "source", "prec_note")
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
LEVEL_NAMES = {"province": ("省界", "province"), "city": ("市界", "cities"),
               "county": ("县（市、区）界", "counties")}


@dataclass(frozen=True)
class Collection:
    """One feature collection: how to load it (a frame, or a table already built: a big layer
    read light), and a stamp that changes when its data does."""

    id: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    id_field: str
    load: Callable[[], gpd.GeoDataFrame | FeatureTable]
    stamp: Callable[[], object]
    layer: str | None = None  # the layer downloadable at /api/layers/<layer>
    level: str | None = None
    attribution: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_zh


def catalog_collections(catalog: Catalog) -> list[Collection]:
    """The thematic layers, then one collection per boundary level (keyed by adcode)."""
    def stamp(file_name: str):
        def read():
            path = catalog.path(file_name)  # an import switches the path
            st = path.stat()
            return str(path), st.st_mtime_ns, st.st_size
        return read

    def load(name: str) -> gpd.GeoDataFrame | FeatureTable:
        if catalog.is_big(name):
            return FeatureTable.from_catalog(catalog, name, id_field(name))
        return catalog.layer(name)

    out = [Collection(info.name, info.title_zh, info.title_en, info.description_zh,
                      info.description_en, id_field(info.name),
                      load=lambda name=info.name: load(name), stamp=stamp(info.name),
                      layer=info.name)
           for info in THEMATIC]
    info = LAYERS["boundaries"]
    for level in BOUNDARY_LEVELS:
        zh, en = LEVEL_NAMES[level]
        out.append(Collection(
            f"boundaries-{level}", f"行政区划：{zh}", f"Boundaries: {en}",
            f"{info.description_zh}{CREDIT_ZH}。", f"{info.description_en} {CREDIT_EN}.",
            id_field("boundaries"), load=lambda lv=level: catalog.boundaries(lv, 0),
            stamp=stamp(f"boundary_{level}"), layer="boundaries", level=level,
            attribution=f"{CREDIT_ZH} / {CREDIT_EN}"))
    return out


def _link(href: str, rel: str, type_: str, title: str = "") -> dict:
    return {"href": href, "rel": rel, "type": type_, **({"title": title} if title else {})}


def _url(base: str, path: str = "", **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base}{path}{'?' + query if query else ''}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class ItemsPage:
    """One page of items: GeoJSON feature strings plus the counts and links around them."""

    collection: Collection
    table: FeatureTable
    rows: np.ndarray
    crs: str
    number_matched: int
    offset: int
    limit: int
    names: list[str] | None = None  # the properties asked for (None: all)
    geometry: bool = True
    links: list[dict] = field(default_factory=list)

    def features(self) -> list[str]:
        return self.table.features(self.rows, self.crs, names=self.names, geometry=self.geometry)

    def records(self) -> list[tuple[str, dict]]:
        return self.table.records(self.rows, self.names)

    def to_json(self) -> str:
        head = {"type": "FeatureCollection", "numberMatched": self.number_matched,
                "numberReturned": len(self.rows), "timeStamp": _now(), "links": self.links}
        rest = json.dumps(head, ensure_ascii=False)[1:]
        return '{"features":[' + ",".join(self.features()) + "]," + rest


class OGCService:
    """The collections of one app and the cached tables behind them."""

    def __init__(self, collections: list[Collection]):
        self._collections = {c.id: c for c in collections}
        self._tables: dict[str, tuple[object, FeatureTable]] = {}
        self._lock = threading.Lock()

    def add(self, collection: Collection) -> None:
        self._collections[collection.id] = collection

    def ids(self) -> list[str]:
        return list(self._collections)

    def get(self, cid: str) -> Collection:
        if cid not in self._collections:
            raise not_found(f"没有名为“{cid}”的数据集。可选：{'、'.join(self._collections)}。",
                            f"No collection '{cid}'. Collections: {', '.join(self._collections)}.")
        return self._collections[cid]

    def table(self, cid: str) -> FeatureTable:
        coll = self.get(cid)
        stamp = coll.stamp()
        cached = self._tables.get(cid)
        if cached and cached[0] == stamp:
            return cached[1]
        loaded = coll.load()
        table = (loaded if isinstance(loaded, FeatureTable)
                 else FeatureTable.from_frame(loaded, coll.id_field))
        with self._lock:
            self._tables[cid] = (stamp, table)
        return table

    def queryable_names(self, cid: str) -> list[str]:
        """Properties offered as equality filters: short texts, integers and flags."""
        table = self.table(cid)
        return [n for n in table.names if n not in NOT_QUERYABLE and n not in ITEMS_PARAMS
                and table.kinds[n] != "number"]

    # --- documents -------------------------------------------------------------------------

    def landing(self, base: str, lang: str) -> dict:
        return {
            "title": ("Henan SEI Atlas · open data API" if lang == "en" else
                      "河南省战略性新兴产业地图 · 开放数据接口"),
            "description": ("OGC API – Features: the plan's layers as GeoJSON, with paging, bbox, "
                            "property filters and CRS choice (CRS84, EPSG:4490, EPSG:4326, EPSG:3857)."
                            if lang == "en" else
                            "OGC API – Features：方案各图层的 GeoJSON 服务，支持分页、范围与属性筛选"
                            "及坐标系选择（CRS84、EPSG:4490、EPSG:4326、EPSG:3857）。"),
            "links": [
                _link(_url(base, "/", f="json"), "self", JSON),
                _link(_url(base, "/", f="html"), "alternate", HTML),
                _link(f"{base}/api", "service-desc", OPENAPI, "OpenAPI 3.0"),
                _link(f"{base}/conformance", "conformance", JSON),
                _link(f"{base}/conformance", REL_CONFORMANCE, JSON),
                _link(f"{base}/collections", "data", JSON),
                _link(f"{base}/collections", REL_DATA, JSON),
                _link(f"{base}/tileMatrixSets", REL_TILING_SCHEMES, JSON),
            ],
        }

    @staticmethod
    def conformance() -> dict:
        return {"conformsTo": CONFORMANCE}

    def collection(self, base: str, cid: str, lang: str) -> dict:
        coll, table = self.get(cid), self.table(cid)
        href = f"{base}/collections/{cid}"
        extent = table.extent()
        doc = {
            "id": cid, "title": coll.title(lang), "description": coll.description(lang),
            "itemType": "feature", "crs": CRS_LIST, "storageCrs": STORAGE_CRS,
            "links": [
                _link(_url(href, f="json"), "self", JSON),
                _link(_url(href, f="html"), "alternate", HTML),
                _link(_url(f"{href}/items", f="json"), "items", GEOJSON),
                _link(_url(f"{href}/items", f="html"), "items", HTML),
                _link(f"{href}/queryables", REL_QUERYABLES, SCHEMA),
                _link(f"{href}/tiles", REL_TILESETS_VECTOR, JSON, "vector tiles (Mapbox Vector Tile)"),
            ],
        }
        if extent:
            doc["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
        if coll.attribution:
            doc["attribution"] = coll.attribution
        return doc

    def collections(self, base: str, lang: str) -> dict:
        return {
            "links": [_link(_url(f"{base}/collections", f="json"), "self", JSON),
                      _link(_url(f"{base}/collections", f="html"), "alternate", HTML)],
            "collections": [self.collection(base, cid, lang) for cid in self._collections],
        }

    def queryables(self, base: str, cid: str, lang: str) -> dict:
        """Part 3: a JSON Schema (2020-12) of the properties usable as ``name=value`` filters,
        with the geometry (filtered by ``bbox``) as the primary geometry."""
        coll, table = self.get(cid), self.table(cid)
        properties = {name: {"type": table.kinds[name], "title": name}
                      for name in self.queryable_names(cid)}
        properties["geometry"] = {"x-ogc-role": "primary-geometry", "format": (
            f"geometry-{table.geometry_type.lower()}" if table.geometry_type else "geometry-any")}
        return {"$schema": JSON_SCHEMA, "$id": f"{base}/collections/{cid}/queryables",
                "type": "object", "title": coll.title(lang), "properties": properties,
                "additionalProperties": False}

    # --- features --------------------------------------------------------------------------

    def items(self, base: str, cid: str, args: Mapping, *, html: bool = False) -> ItemsPage:
        """One page of ``cid``'s features matching ``args`` (limit, offset, bbox, bbox-crs,
        crs, datetime, property filters, sortby, properties, skipGeometry).
        Raises OGCError for a bad or unknown argument."""
        coll, table = self.get(cid), self.table(cid)
        equals = property_filters(table, self.queryable_names(cid), args)
        limit = min(int_param(args, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
        offset = int_param(args, "offset", 0, 0)
        crs = parse_crs(args, "crs")
        bbox = parse_bbox(args.get("bbox"), parse_crs(args, "bbox-crs"))
        check_datetime(args.get("datetime"))
        sortby = parse_sortby(args.get("sortby"), table.names)
        names = parse_properties(args.get("properties"), table.names)
        geometry = not parse_flag(args, "skipGeometry")
        matched = table.match(bbox, equals)
        if sortby:
            rank = table.order(sortby)
            matched = (np.argsort(rank) if matched is None
                       else matched[np.argsort(rank[matched], kind="stable")])
        total = len(table) if matched is None else len(matched)
        stop = min(offset + limit, total)  # below offset past the end: an empty page
        rows = np.arange(offset, stop) if matched is None else matched[offset:stop]
        page = ItemsPage(coll, table, rows, crs, total, offset, limit, names, geometry)
        page.links = self._page_links(base, cid, args, page, html)
        return page

    @staticmethod
    def _page_links(base: str, cid: str, args: Mapping, page: ItemsPage, html: bool) -> list[dict]:
        href = f"{base}/collections/{cid}/items"
        keep = {k: v for k, v in args.items() if k not in ("f", "offset")}
        here, there = ("html", "json") if html else ("json", "html")
        mime = {"json": GEOJSON, "html": HTML}

        def at(offset: int, f: str) -> str:
            return _url(href, **keep, offset=offset or None, f=f)

        links = [_link(at(page.offset, here), "self", mime[here]),
                 _link(at(page.offset, there), "alternate", mime[there]),
                 _link(f"{base}/collections/{cid}", "collection", JSON)]
        if page.offset + len(page.rows) < page.number_matched:
            links.append(_link(at(page.offset + page.limit, here), "next", mime[here]))
        if page.offset > 0:
            links.append(_link(at(max(page.offset - page.limit, 0), here), "prev", mime[here]))
        return links

    def item(self, base: str, cid: str, fid: str, args: Mapping) -> tuple[str, str, dict]:
        """(GeoJSON Feature string, its CRS URI, its properties) of feature ``fid``; ``args``
        may hold crs, properties and skipGeometry."""
        table = self.table(cid)
        check_known(args, ITEM_PARAMS)
        crs = parse_crs(args, "crs")
        names = parse_properties(args.get("properties"), table.names)
        geometry = not parse_flag(args, "skipGeometry")
        row = table.row_of(fid)
        if row is None:
            raise not_found(f"数据集“{cid}”中没有编号为“{fid}”的要素。",
                            f"Collection '{cid}' has no feature '{fid}'.")
        href = f"{base}/collections/{cid}/items/{fid}"
        keep = {k: v for k, v in args.items() if k != "f"}
        links = [_link(_url(href, **keep, f="json"), "self", GEOJSON),
                 _link(_url(href, **keep, f="html"), "alternate", HTML),
                 _link(f"{base}/collections/{cid}", "collection", JSON)]
        feature = table.features([row], crs, names=names, geometry=geometry)[0]
        return (feature[:-1] + ',"links":' + json.dumps(links) + "}", crs,
                json.loads(feature)["properties"])
