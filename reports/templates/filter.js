(function () {
  "use strict";
  // Filters the findings table by the data-* attributes on each finding's <tbody>.
  // It only toggles the hidden attribute and sets textContent: it never builds HTML.
  var table = document.getElementById("findings-table");
  var controls = document.getElementById("filters");
  if (!table || !controls) {
    return;
  }
  var groups = Array.prototype.slice.call(table.querySelectorAll("tbody.finding"));
  var byStatus = document.getElementById("filter-status");
  var bySeverity = document.getElementById("filter-severity");
  var byChecklist = document.getElementById("filter-checklist");
  var byProvider = document.getElementById("filter-provider");
  var search = document.getElementById("filter-search");
  var hideMuted = document.getElementById("filter-hide-muted");
  var counter = document.getElementById("findings-shown");
  var empty = document.getElementById("findings-empty");

  function matches(group, query) {
    var d = group.dataset;
    if (byStatus.value && d.status !== byStatus.value) {
      return false;
    }
    if (bySeverity.value && d.severity !== bySeverity.value) {
      return false;
    }
    if (byProvider.value && d.provider !== byProvider.value) {
      return false;
    }
    if (byChecklist.value && d.checklist.split(" ").indexOf(byChecklist.value) === -1) {
      return false;
    }
    if (hideMuted.checked && d.muted === "true") {
      return false;
    }
    return !query || d.search.indexOf(query) !== -1;
  }

  function apply() {
    var query = search.value.trim().toLowerCase();
    var shown = 0;
    groups.forEach(function (group) {
      var visible = matches(group, query);
      group.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    counter.textContent = "Showing " + shown + " of " + groups.length + " findings";
    empty.hidden = shown !== 0;
  }

  function setAllDetails(open) {
    groups.forEach(function (group) {
      if (!group.hidden) {
        group.querySelector("details").open = open;
      }
    });
  }

  [byStatus, bySeverity, byChecklist, byProvider, hideMuted].forEach(function (control) {
    control.addEventListener("change", apply);
  });
  search.addEventListener("input", apply);
  document.getElementById("filter-reset").addEventListener("click", function () {
    byStatus.value = "";
    bySeverity.value = "";
    byChecklist.value = "";
    byProvider.value = "";
    search.value = "";
    hideMuted.checked = false;
    apply();
  });
  document.getElementById("expand-all").addEventListener("click", function () {
    setAllDetails(true);
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    setAllDetails(false);
  });

  // Printing shows every finding expanded (CSS un-hides filtered rows); restore afterwards.
  var closedBeforePrint = [];
  window.addEventListener("beforeprint", function () {
    closedBeforePrint = Array.prototype.filter.call(
      document.querySelectorAll("details"), function (el) { return !el.open; });
    closedBeforePrint.forEach(function (el) { el.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closedBeforePrint.forEach(function (el) { el.open = false; });
    closedBeforePrint = [];
  });

  // The controls stay hidden unless this script runs, so they are never dead.
  controls.hidden = false;
  apply();
})();
