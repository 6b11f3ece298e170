/* The overview map's own behaviour, on top of the Folium-built layers (window.ATLAS_CONFIG):
 * boundaries fetched from the API at a tolerance that follows the zoom; search by place name
 * (/api/places) and by feature name; filters by industry / sector / city that zoom to what they
 * match and list it; markers at one spot spread apart (atlas-spread.js); the side panel as a
 * drawer on narrow screens; the "export what I see" link; and window.atlasReady once every
 * layer is drawn. */
(function () {
  "use strict";
  var cfg = window.ATLAS_CONFIG;
  var S = cfg.strings;
  var map = window[cfg.map];
  var filters = {industry: "", sector: "", city: ""};
  var tiles = (cfg.tiled || []).length ? window.atlasTiles : null;  // layers drawn from vector tiles
  var FILTER_FIELD = {industry: "f_ind", sector: "f_sector", city: "city"};
  var NARROW = window.matchMedia("(max-width: 900px)");  // the panel is a drawer (atlas.css)
  var FILTER_MAX_ZOOM = 11;

  var thematic = cfg.layers.map(function (l) {
    var group = window[l.var], items = [];
    group.eachLayer(function (sub) { items.push(sub); });
    return {name: l.name, title: l.title, group: group, items: items};
  });
  var boundaries = cfg.boundaries.map(function (b) {
    return {level: b.level, url: b.url, layer: window[b.var]};
  });
  var spread = window.atlasSpread(map, function () {
    var markers = [];
    thematic.forEach(function (t) {
      t.items.forEach(function (sub) {
        if (sub.feature.properties.role === "marker") { markers.push(sub); }
      });
    });
    return markers;
  });

  /* --- the side panel: a drawer on narrow screens --- */
  var atlasBox = document.querySelector(".atlas");
  var drawerToggle = document.getElementById("atlas-drawer-toggle");
  function setDrawer(open) {
    atlasBox.classList.toggle("drawer-open", open);
    drawerToggle.setAttribute("aria-expanded", open ? "true" : "false");
    drawerToggle.textContent = open ? S.drawerClose : S.drawerOpen;
  }
  function showMap() { if (NARROW.matches) { setDrawer(false); } }
  drawerToggle.addEventListener("click", function () {
    setDrawer(!atlasBox.classList.contains("drawer-open"));
  });
  function fitScreen() {
    var control = window[cfg.control];
    if (NARROW.matches) {
      control.collapse();  // (map-fit.js folds the legend)
    } else {
      control.expand();
      setDrawer(false);
    }
  }
  map.on("click", function () { if (NARROW.matches) { window[cfg.control].collapse(); } });
  NARROW.addEventListener("change", fitScreen);

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
      return window.atlasFetch(url)
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

  /* --- lists of results (search and filters) --- */
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
  function heading(text, count) {
    var li = document.createElement("li");
    li.className = "group";
    li.textContent = text + (count === undefined ? "" : " (" + count.toLocaleString() + ")");
    return li;
  }
  function show(t, sub) {
    showMap();
    if (!matches(sub.feature.properties)) { setFilters({}); }
    if (!map.hasLayer(t.group)) { map.addLayer(t.group); }
    map.once("moveend", function () {
      // a click propagated from the feature opens the group's popup for that feature
      sub.fire("click", {latlng: sub.getLatLng()}, true);
    });
    map.setView(spread.home(sub), Math.max(map.getZoom(), 11));
  }
  function showTiled(data, f) {
    showMap();
    var at = L.latLng(f.lat, f.lon);
    map.setView(at, Math.max(map.getZoom(), data.tiled.tj.atlas.detail_minzoom, 11));
    tiles.openFeature(map, cfg, data.tiled.name, f.id, at);
  }

  /* --- filters: what is drawn, a list of the matches with counts, and a zoom to them --- */
  function matches(p) {
    return Object.keys(filters).every(function (k) {
      return !filters[k] || p[FILTER_FIELD[k]] === filters[k];
    });
  }
  function filtering() {
    return Object.keys(filters).some(function (k) { return filters[k]; });
  }
  function listMatches(tiledFound, zoom) {
    var list = document.getElementById("atlas-matches");
    list.innerHTML = "";
    list.hidden = !filtering();
    if (list.hidden) { return; }
    var bounds = L.latLngBounds([]), any = false;
    thematic.forEach(function (t) {
      var hits = t.items.filter(function (sub) {
        return sub.feature.properties.role === "marker" && matches(sub.feature.properties);
      });
      if (!hits.length) { return; }
      any = true;
      list.appendChild(heading(t.title, hits.length));
      hits.forEach(function (sub) {
        bounds.extend(spread.home(sub));
        list.appendChild(resultItem(sub.feature.properties.name, "", function () { show(t, sub); }));
      });
    });
    tiledFound.forEach(function (data) {
      if (!data.total) { return; }
      any = true;
      list.appendChild(heading(data.tiled.title, data.total));
      data.features.forEach(function (f) {
        list.appendChild(resultItem(f.name, "", function () { showTiled(data, f); }));
      });
      if (data.total > data.features.length) {
        list.appendChild(resultItem(S.more.replace("{n}", (data.total - data.features.length)
          .toLocaleString()), "", null));
      }
      if (data.bbox) { bounds.extend([[data.bbox[1], data.bbox[0]], [data.bbox[3], data.bbox[2]]]); }
    });
    if (!any) { list.appendChild(resultItem(S.none, "", null)); }
    if (zoom && bounds.isValid()) {
      map.fitBounds(bounds, {maxZoom: FILTER_MAX_ZOOM, padding: [30, 30], animate: false});
    }
  }
  function applyFilters(zoom) {
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
    spread.refresh();
    var count = document.getElementById("atlas-count");
    count.textContent = S.shown
      .replace("{n}", Object.keys(shown).length).replace("{total}", Object.keys(total).length);
    if (!tiles) {
      listMatches([], zoom);
      return Promise.resolve();
    }
    tiles.setFilters(filters);
    // unfiltered, a tiled layer's count is in its TileJSON: no search of a million features
    var counted = filtering() ? tiles.search(cfg, "") : Promise.resolve(tiles.layers.map(function (t) {
      return {tiled: t, total: t.tj.atlas.features};
    }));
    return counted.then(function (found) {
      found.forEach(function (data) {
        count.textContent += S.tiledCount.replace("{layer}", data.tiled.title)
          .replace("{n}", data.total.toLocaleString());
      });
      listMatches(found, zoom);
    });
  }
  function setFilters(values) {
    Object.keys(filters).forEach(function (k) {
      filters[k] = values[k] || "";
      document.getElementById("atlas-filter-" + k).value = filters[k];
    });
    applyFilters(false);
  }
  Object.keys(filters).forEach(function (k) {
    document.getElementById("atlas-filter-" + k).addEventListener("change", function (e) {
      filters[k] = e.target.value;
      applyFilters(true);
    });
  });
  document.getElementById("atlas-filter-reset").addEventListener("click", function () {
    setFilters({});
  });

  /* --- search: places (Chinese, pinyin, English) and features by name --- */
  var input = document.getElementById("atlas-search");
  var results = document.getElementById("atlas-results");
  function goToPlace(place) {
    showMap();
    if (place.bbox) {
      map.fitBounds([[place.bbox[1], place.bbox[0]], [place.bbox[3], place.bbox[2]]], {animate: false});
    } else {
      map.setView([place.lat, place.lon], Math.max(map.getZoom(), 12), {animate: false});
    }
    var box = document.createElement("div");
    box.className = "atlas-place";
    var name = document.createElement("strong");
    name.textContent = place.name;
    var note = document.createElement("small");
    note.textContent = " " + [place.kind_label, cfg.lang === "en" ? place.name_zh : place.name_en]
      .join(" · ");
    box.appendChild(name);
    box.appendChild(note);
    L.popup({autoPan: false, className: "atlas-place-popup"}).setLatLng([place.lat, place.lon])
      .setContent(box).openOn(map);
  }
  function searchPlaces(q) {
    var url = cfg.placesUrl + "?limit=8&lang=" + encodeURIComponent(cfg.lang) + "&q=" + encodeURIComponent(q);
    return fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {places: [], total: 0}; })
      .catch(function () { return {places: [], total: 0}; });
  }
  function featureResults(q) {
    var items = [];
    function hit(p) { return (p.name_zh + " " + p.name_en).toLowerCase().indexOf(q) >= 0; }
    thematic.forEach(function (t) {
      t.items.forEach(function (sub) {
        var p = sub.feature.properties;
        if (p.role !== "marker" || !hit(p)) { return; }
        var note = t.title + (matches(p) ? "" : " " + S.hidden);
        items.push(resultItem(p.name, note, function () { show(t, sub); }));
      });
    });
    cfg.unlocated.forEach(function (p) {
      if (hit(p)) {
        items.push(resultItem(cfg.lang === "en" ? p.name_en : p.name_zh, S.unlocated, null));
      }
    });
    return items;
  }
  function search() {
    var q = input.value.trim().toLowerCase();
    results.innerHTML = "";
    results.dataset.state = q ? "searching" : "done";
    if (!q) { return; }
    var features = featureResults(q);
    features.forEach(function (li) { results.appendChild(li); });
    var tiledSearch = tiles ? tiles.search(cfg, q) : Promise.resolve([]);
    Promise.all([searchPlaces(q), tiledSearch]).then(function (answers) {
      if (input.value.trim().toLowerCase() !== q) { return; }  // a later keystroke asked again
      var places = answers[0].places;
      answers[1].forEach(function (data) {
        data.features.forEach(function (f) {
          features.push(results.appendChild(resultItem(f.name, data.tiled.title, function () {
            showTiled(data, f);
          })));
        });
        if (data.total > data.features.length) {
          results.appendChild(resultItem(S.more.replace("{n}", (data.total - data.features.length)
            .toLocaleString()), data.tiled.title, null));
        }
      });
      var first = results.firstChild;  // places go above the features
      if (places.length) {
        results.insertBefore(heading(S.places, answers[0].total), first);
        places.forEach(function (place) {
          var note = [place.kind_label, place.parent].filter(Boolean).join(" · ");
          results.insertBefore(resultItem(place.name, note, function () { goToPlace(place); }), first);
        });
        if (features.length) { results.insertBefore(heading(S.features), first); }
      }
      if (!features.length && !places.length) { results.appendChild(resultItem(S.none, "", null)); }
      results.dataset.state = "done";
    });
  }
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") { return; }
    e.preventDefault();
    var first = results.querySelector("button");
    if (first) { first.click(); }
  });

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
  fitScreen();
  setDrawer(false);
  var tilesStarted = tiles ? tiles.start(cfg, map).then(function () {
    // a layer added to the switcher opens it again (Leaflet): folded on a phone, as at start
    if (NARROW.matches) { window[cfg.control].collapse(); }
  }) : Promise.resolve();
  applyFilters(false);
  updateExport();
  map.on("zoomend", function () { loadBoundaries(); });
  Promise.all([loadBoundaries(), tilesStarted]).then(function () {
    return applyFilters(false);
  }).then(function () {
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
  window.atlas = {map: map, layers: thematic, boundaries: boundaries, setFilters: setFilters,
                  spread: spread, setDrawer: setDrawer};
}());
