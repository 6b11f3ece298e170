/* The /export/ page: a low-resolution preview of the sheet, and the pitch pack's park choice. */
(function () {
  "use strict";
  var form = document.getElementById("export-form");
  var img = document.getElementById("export-preview");
  var note = document.getElementById("export-preview-note");
  document.getElementById("export-preview-button").addEventListener("click", function () {
    var params = new URLSearchParams(new FormData(form));
    params.set("format", "png");
    params.set("dpi", "72");
    params.set("inline", "1");
    note.textContent = "…";
    img.onload = function () { img.hidden = false; note.textContent = ""; };
    img.onerror = function () {
      fetch(form.action + "?" + params.toString()).then(function (r) { return r.json(); })
        .then(function (e) { note.textContent = e.message_zh + " / " + e.message_en; });
    };
    img.src = form.action + "?" + params.toString();
  });

  var pack = document.getElementById("pack-form");
  var some = document.getElementById("pack-some");
  pack.addEventListener("submit", function () {
    if (!some.checked) { return; }
    some.value = Array.prototype.filter.call(pack.querySelectorAll(".pack-park"), function (c) {
      return c.checked;
    }).map(function (c) { return c.value; }).join(",") || "all";
  });
  pack.querySelectorAll(".pack-park").forEach(function (c) {
    c.addEventListener("change", function () { some.checked = true; });
  });
})();
