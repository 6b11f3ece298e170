/* The offline basemap under a map's own layers: land, rivers, lakes and place names from the
 * app's basemap vector tiles (what /tiles/basemap.json says, given in cfg), drawn with
 * protomaps-leaflet (static/vendor).
 * Place labels are placed by protomaps-leaflet's labeler, which drops a label that would
 * collide with one already placed: cities first, then counties, then towns. Names follow the
 * page's language (name_zh / name_en). With a raster basemap configured (TILE_URL) the land is
 * left to the raster and only water and names are drawn over it.
 * window.atlasBasemap.add(map, cfg) returns a promise of the protomaps layer that settles once
 * its first tiles are drawn (also window.atlasBasemap.ready). */
(function () {
  "use strict";
  var P = window.protomapsL;
  var PANE = "atlasBasemap";
  var FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
  var LAND = "#f1efea", HENAN = "#f8f6f1", WATER = "#a9c8e8", RIVER = "#7fa9d6";
  //  rank: [from zoom, font, colour]; the map shows cities from z6, counties from z8, towns at z10
  var PLACES = {1: [6, "600 13px " + FONT, "#3a3a3a"], 2: [8, "12px " + FONT, "#555555"],
                3: [10, "11px " + FONT, "#6f6f6f"]};

  function paintRules(cfg) {
    var rules = [];
    if (!cfg.raster) {
      rules.push({dataLayer: "boundaries", filter: function (z, f) { return f.props.level === "province"; },
                  symbolizer: new P.PolygonSymbolizer({fill: HENAN, opacity: 1})});
    }
    rules.push({dataLayer: "lakes", symbolizer: new P.PolygonSymbolizer({fill: WATER, opacity: 1})});
    rules.push({dataLayer: "rivers", symbolizer: new P.LineSymbolizer({
      color: RIVER, opacity: 0.9,
      width: function (z, f) { return (f.props.length_km > 100 ? 1.6 : 1) * (z >= 9 ? 1.4 : 1); }})});
    return rules;
  }

  function labelRules(cfg) {
    var prop = cfg.lang === "en" ? "name_en" : "name_zh";
    return [1, 2, 3].map(function (rank) {
      var look = PLACES[rank];
      return {dataLayer: "places", minzoom: look[0],
              filter: function (z, f) { return f.props.rank === rank; },
              symbolizer: new P.CenteredTextSymbolizer({labelProps: [prop, "name_zh"], font: look[1],
                                                        fill: look[2], stroke: "#ffffff", width: 2.5})};
    });
  }

  function add(map, cfg) {
    if (!P) { return (window.atlasBasemap.ready = Promise.reject(new Error("protomaps-leaflet is not loaded"))); }
    map.attributionControl.addAttribution(cfg.attribution);
    if (!map.getPane(PANE)) {
      map.createPane(PANE).style.zIndex = 250;  // over a raster basemap (200), under everything else
      map.getPane(PANE).style.pointerEvents = "none";
    }
    if (!cfg.raster) { map.getContainer().style.background = LAND; }  // where no tile is asked for
    var b = cfg.bounds, margin = 0.5;  // degrees: the basemap's data reach past the province
    var layer = P.leafletLayer({url: cfg.tiles, minZoom: cfg.minzoom, maxDataZoom: cfg.maxzoom, levelDiff: 0,
                                pane: PANE,
                                bounds: [[b[1] - margin, b[0] - margin], [b[3] + margin, b[2] + margin]],
                                backgroundColor: cfg.raster ? undefined : LAND,
                                paintRules: paintRules(cfg), labelRules: labelRules(cfg),
                                attribution: ""});  // credited above; not protomaps' default
    window.atlasBasemap.layer = layer;
    window.atlasBasemap.ready = new Promise(function (resolve) {
      layer.once("load", function () {
        window.atlasBasemap.drawnMs = performance.now();  // benchmarks/bench_overview.py
        resolve(layer);
      });
    });
    layer.addTo(map);
    return window.atlasBasemap.ready;
  }

  window.atlasBasemap = {add: add, layer: null, ready: null, drawnMs: null};
}());
