/* Every Leaflet map of the app on a small screen: a popup is never wider or taller than its map
 * leaves room for, whatever size its layer asked for; on a narrow map it pans clear of the big
 * controls (zoom, toggles, attribution) rather than of the desktop's open layer switcher, and
 * legends start folded. */
(function () {
  "use strict";
  if (!window.L || L.Popup.prototype.atlasFits) { return; }
  var ROOM_X = 64;   // px: the popup's own margins and a few pixels of map on each side
  var ROOM_Y = 60;   // px: its tip and close button
  var NARROW = 700;  // px: below this map width the controls are big and the switcher folded
  var CLEAR_TOP = L.point(8, 112);    // on a narrow map: below the zoom buttons and the toggles
  var CLEAR_BOTTOM = L.point(8, 44);  // above the attribution
  var layout = L.Popup.prototype._updateLayout;
  L.Popup.prototype._updateLayout = function () {
    var map = this._map;
    if (map) {
      var size = map.getSize(), o = this.options, narrow = size.x < NARROW;
      if (!this.asked) {
        this.asked = {width: o.maxWidth, height: o.maxHeight, top: o.autoPanPaddingTopLeft,
                      bottom: o.autoPanPaddingBottomRight};
      }
      o.autoPanPaddingTopLeft = narrow ? CLEAR_TOP : this.asked.top;
      o.autoPanPaddingBottomRight = narrow ? CLEAR_BOTTOM : this.asked.bottom;
      var room = size.y - ROOM_Y - (narrow ? CLEAR_TOP.y + CLEAR_BOTTOM.y : 0);
      o.maxWidth = Math.max(120, Math.min(this.asked.width || 300, size.x - ROOM_X));
      o.minWidth = Math.min(o.minWidth || 50, o.maxWidth);
      o.maxHeight = Math.max(120, Math.min(this.asked.height || Infinity, room));
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
