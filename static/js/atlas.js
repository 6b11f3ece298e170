/* The overview map's own behaviour, on top of the Folium-built layers (window.ATLAS_CONFIG):
 * boundaries fetched from the API at a tolerance that follows the zoom, search by name, filters by industry / sector / city, the "export what I see" link, and
 * window.atlasReady once every layer is drawn. */
(function () {
  "use strict";
  var cfg = window.ATLAS_CONFIG;
  var S = cfg.strings;
  var map = window[cfg.map];
  var filters = {industry: "", sector: "", city: ""};
  var tiles = (cfg.tiled || []).length ? window.atlasTiles : null;  // layers drawn from vector tiles
  var FILTER_FIELD = {industry: "f_ind", sector: "f_sector", city: "city"};

  var thematic = cfg.layers.map(function (l) {
    var group = window[l.var], items = [];
    group.eachLayer(function (sub) { items.push(sub); });
    return {name: l.name, title: l.title, group: group, items: items};
  });
  var boundaries = cfg.boundaries.map(function (b) {
    return {level: b.level, url: b.url, layer: window[b.var]};
  });

  /* --- boundaries, simplified per zoom --- */
  var loadedTolerance = null;
  function toleranceFor(zoom) {
    for (var i = 0; i < cfg.tolerances.length; i++) {
      if (zoom <= cfg.tolerances[i][0]) { return cfg.tolerances[i][1]; }
    }
    return cfg.tolerances[cfg.tolerances.length - 1][1];
  }
  function loadBoundaries() {
    var tol = toleranceFor(map.getZoom());
    if (tol === loadedTolerance) { return Promise.resolve(); }
    loadedTolerance = tol;
    return Promise.all(boundaries.map(function (b) {
      var url = b.url + "&tolerance=" + tol;
      var prefetched = (window.ATLAS_PREFETCH || {})[url];
      if (prefetched) { delete window.ATLAS_PREFETCH[url]; }
      return (prefetched || fetch(url, {credentials: "same-origin"}))
        .then(function (r) {
          if (!r.ok) { throw new Error(b.url + ": HTTP " + r.status); }
          return r.json();
        })
        .then(function (data) {
          if (loadedTolerance !== tol) { return; }  // a later zoom already asked for another
          b.layer.clearLayers();
          b.layer.addData(data);
        });
    }));
  }

  /* --- filters --- */
  function matches(p) {
    return Object.keys(filters).every(function (k) {
      return !filters[k] || p[FILTER_FIELD[k]] === filters[k];
    });
  }
  function applyFilters() {
    var shown = {}, total = {};
    thematic.forEach(function (t) {
      t.items.forEach(function (sub) {
        var p = sub.feature.properties, key = p.layer + "/" + p.id, ok = matches(p);
        total[key] = true;
        if (ok) { shown[key] = true; }
        if (ok && !t.group.hasLayer(sub)) { t.group.addLayer(sub); }
        if (!ok && t.group.hasLayer(sub)) { t.group.removeLayer(sub); }
      });
    });
    var count = document.getElementById("atlas-count");
    count.textContent = S.shown
      .replace("{n}", Object.keys(shown).length).replace("{total}", Object.keys(total).length);
    if (tiles) {
      tiles.setFilters(filters);
      tiles.search(cfg, "").then(function (found) {
        found.forEach(function (data) {
          count.textContent += S.tiledCount.replace("{layer}", data.tiled.title)
            .replace("{n}", data.total.toLocaleString());
        });
      });
    }
  }
  function setFilters(values) {
    Object.keys(filters).forEach(function (k) {
      filters[k] = values[k] || "";
      document.getElementById("atlas-filter-" + k).value = filters[k];
    });
    applyFilters();
  }
  Object.keys(filters).forEach(function (k) {
    document.getElementById("atlas-filter-" + k).addEventListener("change", function (e) {
      filters[k] = e.target.value;
      applyFilters();
    });
  });
  document.getElementById("atlas-filter-reset").addEventListener("click", function () {
    setFilters({});
  });

  /* --- search by name (Chinese or English) --- */
  var input = document.getElementById("atlas-search");
  var results = document.getElementById("atlas-results");
  function show(t, sub) {
    if (!matches(sub.feature.properties)) { setFilters({}); }
    if (!map.hasLayer(t.group)) { map.addLayer(t.group); }
    map.once("moveend", function () {
      // a click propagated from the feature opens the group's popup for that feature
      sub.fire("click", {latlng: sub.getLatLng()}, true);
    });
    map.setView(sub.getLatLng(), Math.max(map.getZoom(), 11));
  }
  function resultItem(text, note, onClick) {
    var li = document.createElement("li");
    var el = document.createElement(onClick ? "button" : "span");
    el.textContent = text;
    if (onClick) { el.type = "button"; el.addEventListener("click", onClick); }
    li.appendChild(el);
    if (note) {
      var small = document.createElement("small");
      small.textContent = " " + note;
      li.appendChild(small);
    }
    return li;
  }
  function search() {
    var q = input.value.trim().toLowerCase();
    results.innerHTML = "";
    if (!q) { return; }
    var found = 0;
    function hit(p) { return (p.name_zh + " " + p.name_en).toLowerCase().indexOf(q) >= 0; }
    thematic.forEach(function (t) {
      t.items.forEach(function (sub) {
        var p = sub.feature.properties;
        if (p.role !== "marker" || !hit(p)) { return; }
        found += 1;
        var note = t.title + (matches(p) ? "" : " " + S.hidden);
        results.appendChild(resultItem(p.name, note, function () { show(t, sub); }));
      });
    });
    cfg.unlocated.forEach(function (p) {
      if (!hit(p)) { return; }
      found += 1;
      results.appendChild(resultItem(cfg.lang === "en" ? p.name_en : p.name_zh, S.unlocated, null));
    });
    if (!tiles) {
      if (!found) { results.appendChild(resultItem(S.none, "", null)); }
      return;
    }
    tiles.search(cfg, q).then(function (layers) {
      if (input.value.trim().toLowerCase() !== q) { return; }  // a later keystroke asked again
      layers.forEach(function (data) {
        data.features.forEach(function (f) {
          found += 1;
          results.appendChild(resultItem(f.name, data.tiled.title, function () {
            var at = L.latLng(f.lat, f.lon);
            map.setView(at, Math.max(map.getZoom(), data.tiled.tj.atlas.detail_minzoom, 11));
            tiles.openFeature(map, cfg, data.tiled.name, f.id, at);
          }));
        });
        if (data.total > data.features.length) {
          results.appendChild(resultItem(S.more.replace("{n}", (data.total - data.features.length)
            .toLocaleString()), data.tiled.title, null));
        }
      });
      if (!found) { results.appendChild(resultItem(S.none, "", null)); }
    });
  }
  input.addEventListener("input", search);

  /* --- "export what I see": scope, view bounds, visible layers, language --- */
  var exportLink = document.getElementById("atlas-export");
  function updateExport() {
    var b = map.getBounds();
    var visible = thematic.filter(function (t) { return map.hasLayer(t.group); })
      .map(function (t) { return t.name; });
    if (tiles) { visible = visible.concat(tiles.visibleNames(map)); }
    if (boundaries.some(function (x) { return map.hasLayer(x.layer); })) { visible.push("boundaries"); }
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (v) { return v.toFixed(4); }).join(",");
    exportLink.href = cfg.exportUrl + "&bbox=" + bbox + "&layers=" + visible.join(",") +
      "&lang=" + cfg.lang;
  }
  map.on("moveend overlayadd overlayremove", updateExport);

  /* --- start --- */
  var tilesStarted = tiles ? tiles.start(cfg, map) : Promise.resolve();
  applyFilters();
  updateExport();
  map.on("zoomend", function () { loadBoundaries(); });
  Promise.all([loadBoundaries(), tilesStarted]).then(function () {
    applyFilters();
    updateExport();
    requestAnimationFrame(function () {
      window.atlasReadyMs = performance.now();
      window.atlasReady = true;
      document.documentElement.setAttribute("data-atlas-ready", "1");
    });
  }).catch(function (err) {
    window.atlasError = String(err);
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = S.loadError + " (" + String(err.message || err) + ")";
    document.getElementById("atlas-panel").prepend(p);
  });
  window.atlas = {map: map, layers: thematic, boundaries: boundaries, setFilters: setFilters};
}());
