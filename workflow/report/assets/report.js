// tmeseq report: sortable and searchable tables, tooltips on the figures' points.
// Written for this report, no library; it reads the page and changes nothing but the page.
(function () {
  "use strict";

  // --- tooltips: any element with class "tip" shows its data-tip text ------------------
  var tooltip = document.getElementById("tooltip");

  function showTip(target, x, y) {
    tooltip.textContent = target.getAttribute("data-tip");
    tooltip.hidden = false;
    var left = Math.min(x + 14, window.innerWidth - tooltip.offsetWidth - 8);
    var top = Math.min(y + 14, window.innerHeight - tooltip.offsetHeight - 8);
    tooltip.style.left = Math.max(left, 0) + "px";
    tooltip.style.top = Math.max(top, 0) + "px";
  }

  function tipTarget(event) {
    var node = event.target;
    return node && node.closest ? node.closest(".tip[data-tip]") : null;
  }

  if (tooltip) {
    document.addEventListener("mouseover", function (event) {
      var target = tipTarget(event);
      if (target) {
        showTip(target, event.clientX, event.clientY);
      }
    });
    document.addEventListener("mousemove", function (event) {
      var target = tipTarget(event);
      if (target && !tooltip.hidden) {
        showTip(target, event.clientX, event.clientY);
      }
    });
    document.addEventListener("mouseout", function (event) {
      if (tipTarget(event)) {
        tooltip.hidden = true;
      }
    });
    document.addEventListener("focusin", function (event) {
      var target = tipTarget(event);
      if (target) {
        var box = target.getBoundingClientRect();
        showTip(target, box.right, box.bottom);
      }
    });
    document.addEventListener("focusout", function (event) {
      if (tipTarget(event)) {
        tooltip.hidden = true;
      }
    });
  }

  // --- sortable tables: click a header's button; numbers sort by data-sort -------------
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return { empty: true, number: NaN, text: "" };
    }
    var raw = cell.getAttribute("data-sort");
    var number = raw === null || raw === "" ? NaN : Number(raw);
    return { empty: raw === "", number: number, text: cell.textContent.trim().toLowerCase() };
  }

  function compareRows(index, numeric, direction) {
    return function (a, b) {
      var x = cellValue(a.row, index);
      var y = cellValue(b.row, index);
      var order;
      if (numeric) {
        // missing values last whatever the direction
        if (isNaN(x.number) || isNaN(y.number)) {
          order = isNaN(x.number) - isNaN(y.number);
          return order !== 0 ? order : a.position - b.position;
        }
        order = x.number - y.number;
      } else {
        order = x.text < y.text ? -1 : x.text > y.text ? 1 : 0;
      }
      return order !== 0 ? order * direction : a.position - b.position;
    };
  }

  function sortTable(table, header) {
    var headers = table.tHead.rows[0].cells;
    var index = Array.prototype.indexOf.call(headers, header);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.some(function (row) {
      return !isNaN(cellValue(row, index).number);
    });
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var keyed = rows.map(function (row, position) {
      return { row: row, position: position };
    });
    keyed.sort(compareRows(index, numeric, ascending ? 1 : -1));
    keyed.forEach(function (item) {
      body.appendChild(item.row);
    });
    Array.prototype.forEach.call(headers, function (cell) {
      cell.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) {
      return;
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      var button = header.querySelector("button") || header;
      button.addEventListener("click", function () {
        sortTable(table, header);
      });
    });
  });

  // --- search: show only the rows whose text contains the query ------------------------
  Array.prototype.forEach.call(document.querySelectorAll("input.table-search"), function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table || !table.tBodies.length) {
      return;
    }
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = query !== "" && row.textContent.toLowerCase().indexOf(query) === -1;
      });
    });
  });
})();
