(function () {
  var level = document.getElementById("level"), code = document.getElementById("code"),
      search = document.getElementById("search"), shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#events tbody tr"));
  function apply() {
    var text = search.value.toLowerCase(), count = 0;
    rows.forEach(function (row) {
      var ok = (!level.value || row.dataset.level === level.value) &&
               (!code.value || row.dataset.code === code.value) &&
               (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok; if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " events";
  }
  [level, code].forEach(function (el) { el.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  apply();
})();
