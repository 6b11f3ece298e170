/* Every Leaflet map of the app on a small screen: a popup is never wider or taller than its map
 * leaves room for, whatever size its layer asked for, and on a narrow map it pans clear of the
 * edges only (the layer switcher is folded there); legends start folded on a narrow map. */
(function () {
  "use strict";
  if (!window.L || L.Popup.prototype.atlasFits) { return; }
  var ROOM_X = 64;   // px: the popup's own margins and a few pixels of map on each side
  var ROOM_Y = 96;   // px: its tip, its close button and the map's edges
  var NARROW = 700;  // px: below this map width the layer switcher is folded
  var layout = L.Popup.prototype._updateLayout;
  L.Popup.prototype._updateLayout = function () {
    var map = this._map;
    if (map) {
      var size = map.getSize(), o = this.options;
      if (!this.asked) {
        this.asked = {width: o.maxWidth, height: o.maxHeight, pad: o.autoPanPaddingTopLeft};
      }
      o.maxWidth = Math.max(120, Math.min(this.asked.width || 300, size.x - ROOM_X));
      o.minWidth = Math.min(o.minWidth || 50, o.maxWidth);
      o.maxHeight = Math.max(120, Math.min(this.asked.height || Infinity, size.y - ROOM_Y));
      o.autoPanPaddingTopLeft = size.x < NARROW ? L.point(8, 8) : this.asked.pad;
    }
    layout.call(this);
  };
  L.Popup.prototype.atlasFits = true;

  document.querySelectorAll(".leaflet-container").forEach(function (el) {
    if (el.clientWidth < NARROW) {
      el.querySelectorAll(".atlas-legend details[open]").forEach(function (d) { d.open = false; });
    }
  });
}());
