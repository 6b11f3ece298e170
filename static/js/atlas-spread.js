/* Markers at one spot (several sites at a county seat, the plants of one campus) are spread on
 * a small circle around it, each with a thin leg to its true position, so that each can be seen
 * and clicked. Recomputed at every zoom and whenever the page asks (filters).
 * window.atlasSpread(map, markers) -> {refresh(), home(marker)}; markers() lists the candidates. */
(function () {
  "use strict";
  var PANE = "atlasLegs";
  var OVERLAP = 0.5;  // markers whose centres are closer than half their radii added are stacked

  function groups(points, radii) {
    var seen = [], out = [];
    for (var i = 0; i < points.length; i++) {
      if (seen[i]) { continue; }
      var group = [i];
      seen[i] = true;
      for (var g = 0; g < group.length; g++) {
        for (var j = 0; j < points.length; j++) {
          var a = group[g];
          if (!seen[j] && points[a].distanceTo(points[j]) < OVERLAP * (radii[a] + radii[j])) {
            seen[j] = true;
            group.push(j);
          }
        }
      }
      if (group.length > 1) { out.push(group); }
    }
    return out;
  }

  window.atlasSpread = function (map, markers) {
    map.createPane(PANE).style.zIndex = 395;  // under the markers (overlay pane, 400)
    map.getPane(PANE).style.pointerEvents = "none";
    var legs = L.layerGroup().addTo(map);
    function home(m) { return m.atlasHome || m.getLatLng(); }

    function refresh() {
      legs.clearLayers();
      var shown = markers().filter(function (m) { return map.hasLayer(m); });
      shown.forEach(function (m) {
        if (m.atlasHome) { m.setLatLng(m.atlasHome); } else { m.atlasHome = m.getLatLng(); }
      });
      var points = shown.map(function (m) { return map.latLngToLayerPoint(m.atlasHome); });
      var radii = shown.map(function (m) { return m.getRadius ? m.getRadius() : 8; });
      groups(points, radii).forEach(function (group) {
        var centre = L.point(0, 0), widest = 0;
        group.forEach(function (i) { centre = centre.add(points[i]); widest = Math.max(widest, radii[i]); });
        centre = centre.divideBy(group.length);
        var r = Math.max(2 * widest + 4, group.length * (2 * widest + 3) / (2 * Math.PI));
        group.forEach(function (i, k) {
          var angle = 2 * Math.PI * k / group.length - Math.PI / 2;
          var at = map.layerPointToLatLng(centre.add(L.point(r * Math.cos(angle), r * Math.sin(angle))));
          shown[i].setLatLng(at);
          L.polyline([shown[i].atlasHome, at], {pane: PANE, weight: 1, color: "#444", opacity: 0.8,
                                                interactive: false}).addTo(legs);
        });
      });
    }
    map.on("zoomend overlayadd overlayremove", refresh);
    return {refresh: refresh, home: home};
  };
}());
