/* Layers too big to inline, drawn from the app's vector tiles with protomaps-leaflet
 * (static/vendor, installed from npm). Below a layer's detail zoom its tiles hold counted
 * clusters (drawn as circles with their counts); from it, every feature. Tiles stop at the
 * layer's data max zoom (TileJSON maxzoom); closer in, protomaps-leaflet draws and picks from
 * those tiles scaled up (maxDataZoom), so the map still zooms to 14. A click on a feature
 * fetches its popup from /api/features/<layer>/<id>; search and filters ask the same API.
 * window.atlasTiles.start(cfg, map) returns a promise that settles when every layer is added. */
(function () {
  "use strict";
  var P = window.protomapsL;
  var POLYGON = 3, POINT = 1;
  var PANE = "atlasTiled";
  var tiled = [];
  var filters = {};
  var FILTER_PROP = {industry: "f_ind", city: "city", sector: "sector_zh"};

  function matches(props) {
    return Object.keys(filters).every(function (k) {
      if (!filters[k]) { return true; }
      return props[FILTER_PROP[k]] === filters[k];
    });
  }

  function paintRules(t) {
    var c = t.colour, name = t.name, clusters = t.tj.atlas.cluster_layer;
    var dashed = function (z, f) { return f.props.geom_basis === "schematic" ? [5, 4] : []; };
    return [
      {dataLayer: name, filter: function (z, f) { return f.geomType === POLYGON && matches(f.props); },
       symbolizer: new P.PolygonSymbolizer({fill: c, opacity: 0.18})},
      {dataLayer: name, filter: function (z, f) { return f.geomType === POLYGON && matches(f.props); },
       symbolizer: new P.LineSymbolizer({color: c, width: 1.5, dash: dashed})},
      {dataLayer: name, filter: function (z, f) { return f.geomType === POINT && matches(f.props); },
       symbolizer: new P.CircleSymbolizer({radius: 4, fill: c, stroke: "#ffffff", width: 1})},
      {dataLayer: clusters,
       symbolizer: new P.CircleSymbolizer({
         radius: function (z, f) { return 7 + 3 * Math.log10(Math.max(1, f.props.count)); },
         fill: c, opacity: 0.8, stroke: "#ffffff", width: 1.5})}
    ];
  }
  function labelRules(t) {
    return [{dataLayer: t.tj.atlas.cluster_layer,
             symbolizer: new P.CenteredTextSymbolizer({labelProps: ["label"], fill: "#ffffff",
                                                       stroke: t.colour, width: 2,
                                                       font: "600 11px sans-serif"})}];
  }

  function addLayer(map, control, t) {
    return window.atlasFetch(t.tilejson)
      .then(function (r) {
        if (!r.ok) { return r.json().then(function (e) { throw new Error(e.message_zh + " / " + e.message_en); }); }
        return r.json();
      })
      .then(function (tj) {
        t.tj = tj;
        t.layer = P.leafletLayer({url: tj.tiles[0], maxDataZoom: tj.maxzoom, levelDiff: 0,
                                  paintRules: paintRules(t), labelRules: labelRules(t),
                                  attribution: tj.attribution, pane: PANE});
        t.layer.addTo(map);
        if (control) { control.addOverlay(t.layer, t.label); }
        tiled.push(t);
      });
  }

  function pick(map, latlng) {
    for (var i = tiled.length - 1; i >= 0; i--) {
      var t = tiled[i];
      if (!map.hasLayer(t.layer)) { continue; }
      var found = t.layer.queryTileFeaturesDebug(latlng.lng, latlng.lat, 12).get("") || [];
      for (var j = found.length - 1; j >= 0; j--) {
        var f = found[j];
        if (f.layerName === t.tj.atlas.cluster_layer) { return {t: t, cluster: f.feature.props}; }
        if (f.layerName === t.name && matches(f.feature.props)) { return {t: t, id: f.feature.props.id}; }
      }
    }
    return null;
  }

  function openFeature(map, cfg, name, id, latlng) {
    var url = cfg.root + "/api/features/" + encodeURIComponent(name) + "/" + encodeURIComponent(id) +
      "?lang=" + encodeURIComponent(cfg.lang);
    return fetch(url, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(url + ": HTTP " + r.status); } return r.json(); })
      .then(function (feature) {
        L.popup({maxWidth: 380, maxHeight: 380, className: "atlas-tiled-popup"})
          .setLatLng(latlng).setContent(feature.popup_html).openOn(map);
      });
  }

  function start(cfg, map) {
    var specs = cfg.tiled || [];
    if (!specs.length) { return Promise.resolve(); }
    if (!P) { return Promise.reject(new Error(cfg.strings.tilesMissing)); }
    var control = window[cfg.control];
    map.createPane(PANE).style.zIndex = 390;  // under the inlined layers and their labels
    map.on("click", function (e) {
      var hit = pick(map, e.latlng);
      if (!hit) { return; }
      if (hit.cluster) {
        var target = Math.min(hit.t.tj.atlas.detail_minzoom, map.getZoom() + 2);
        L.popup({className: "atlas-cluster-popup"}).setLatLng(e.latlng)
          .setContent(cfg.strings.cluster.replace("{n}", hit.cluster.label)).openOn(map);
        map.setView(e.latlng, target);
        return;
      }
      openFeature(map, cfg, hit.t.name, hit.id, e.latlng);
    });
    return Promise.all(specs.map(function (t) { return addLayer(map, control, t); }));
  }

  function setFilters(values) {
    filters = values;
    tiled.forEach(function (t) { t.layer.clearLayout(); t.layer.redraw(); });
  }

  function search(cfg, q) {
    var query = "?limit=10&lang=" + encodeURIComponent(cfg.lang) + "&q=" + encodeURIComponent(q) +
      Object.keys(filters).map(function (k) {
        return filters[k] ? "&" + k + "=" + encodeURIComponent(filters[k]) : "";
      }).join("");
    return Promise.all(tiled.map(function (t) {
      return fetch(cfg.root + "/api/features/" + t.name + query, {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) { data.tiled = t; return data; });
    }));
  }

  function visibleNames(map) {
    return tiled.filter(function (t) { return map.hasLayer(t.layer); }).map(function (t) { return t.name; });
  }

  window.atlasTiles = {start: start, setFilters: setFilters, search: search, openFeature: openFeature,
                       visibleNames: visibleNames, layers: tiled};
}());
