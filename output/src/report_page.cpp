// The report page's stylesheet and script (report_parts.hpp), kept apart from the C++ that writes
// the summary. The script reads the JSON block written by report_data.cpp (layout described
// there), draws the address-space pictures on canvases, and shows the results in a table that
// creates only the rows in view, so a 300,000-record scan stays responsive.
//
// Safety: data is only ever put into the page with textContent (never innerHTML), so service
// names and reasons from the file stay text.
//
// Test hook: the filters can be set from the URL fragment (#state=open&port=22&subnet=...&q=...)
// and the script writes what it drew into data attributes: body[data-ready], data-render-ms,
// data-drawn-at-ms, data-shown-at-ms (since navigation start);
// #grids[data-blocks, data-live-cells, data-open-cells]; #change-grids[data-changed-cells];
// #results-view[data-rows, data-total-rows]; #changes-view[data-rows].
#include "report_parts.hpp"

namespace synscan::output::detail {

const std::string_view kReportStyle = R"css(
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.totals{display:flex;flex-wrap:wrap;gap:1em;margin:.5em 0}
.total{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:6em}
.total b{display:block;font-size:1.6em}
table{border-collapse:collapse;margin:.6em 0}
td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}th{background:#f3f3f3}
td.number{text-align:right}
.open{color:#0a7b24}.closed{color:#a33}.filtered,.open-filtered{color:#886}.note{color:#666}
.change-new-open-port b,.change-new-host b{color:#0a7b24}
.change-no-longer-open b,.change-vanished-host b{color:#b22}
.facts th{width:11em;font-weight:normal;color:#555}
.grids{display:flex;flex-wrap:wrap;gap:1.2em}
.grids figure{margin:0}.grids figcaption{font-size:.9em;color:#444;margin-bottom:.3em}
.grids canvas{width:512px;height:512px;image-rendering:pixelated;border:1px solid #bbb;
cursor:crosshair}
.cell-info{position:fixed;background:#fff;border:1px solid #888;border-radius:4px;
padding:.4em .6em;font-size:.85em;max-width:28em;box-shadow:0 2px 6px #0003;pointer-events:none;
z-index:2}
.cell-info div{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.filters{display:flex;flex-wrap:wrap;gap:.8em;align-items:center;margin:.5em 0}
.view{border:1px solid #ccc}
.view .scroller{height:60vh;overflow-y:auto;position:relative}
.view table{margin:0;table-layout:fixed;width:100%}
.view .rows{position:absolute;left:0;right:0;top:0}
.view td{height:20px;padding:0 .6em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
font-size:.9em}
)css";

const std::string_view kReportScript = R"js(
(function () {
"use strict";
var started = performance.now();
var data = JSON.parse(document.getElementById("report-data").textContent);
var STATES = ["open", "closed", "filtered", "open|filtered"];
var STATE_CLASS = ["open", "closed", "filtered", "open-filtered"];
var PROTOS = ["tcp", "udp"];
var CHANGE_KINDS = ["new host", "vanished host", "new open port", "no longer open",
                    "state changed", "summary changed"];
var ROW_HEIGHT = 21, MAX_SCROLL_HEIGHT = 8000000, FINE_BLOCKS_MAX = 16;
var strings = data.strings, kinds = data.kinds;

function ipText(a) {
  return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
}
function deltaDecode(deltas) {
  var out = new Uint32Array(deltas.length), value = 0;
  for (var i = 0; i < deltas.length; i++) { value = (value + deltas[i]) >>> 0; out[i] = value; }
  return out;
}
// First index with sorted[index] >= value.
function lowerBound(sorted, value) {
  var low = 0, high = sorted.length;
  while (low < high) { var mid = (low + high) >>> 1; if (sorted[mid] < value) low = mid + 1; else high = mid; }
  return low;
}
function element(tag, text, className) {
  var node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// ---- hosts and records -------------------------------------------------------------------
var hostAddress = deltaDecode(data.hosts.address), hostCount = hostAddress.length;
var hostFirst = new Uint32Array(hostCount + 1);
for (var h = 0; h < hostCount; h++) hostFirst[h + 1] = hostFirst[h] + data.hosts.count[h];
var records = data.records, recordCount = records.length;
var recordHost = new Uint32Array(recordCount), hostOpen = new Uint32Array(hostCount);
for (h = 0; h < hostCount; h++) {
  for (var r = hostFirst[h]; r < hostFirst[h + 1]; r++) {
    recordHost[r] = h;
    if (kinds.state[records[r]] === 0) hostOpen[h]++;
  }
}
var collapsed = data.collapsed, collapsedCount = collapsed.length / 3;
function kindPortText(k) { return kinds.port[k] + "/" + PROTOS[kinds.proto[k]]; }
function hostLines(index) {
  var lines = [];
  for (var r = hostFirst[index]; r < hostFirst[index + 1]; r++) {
    var k = records[r];
    lines.push(kindPortText(k) + " " + STATES[kinds.state[k]] + " " + strings[kinds.service[k]]);
  }
  for (var c = 0; c < collapsedCount; c++) {
    if (collapsed[3 * c] === index) lines.push(collapsed[3 * c + 2] + " more " + STATES[collapsed[3 * c + 1]]);
  }
  return lines;
}

// ---- changes -----------------------------------------------------------------------------
var changes = data.changes || null;
var changeAddress = changes ? deltaDecode(changes.address) : new Uint32Array(0);
function changeText(i) {
  var port = changes.port[i] < 0 ? "" : " " + changes.port[i] + "/" + PROTOS[changes.proto[i]];
  return CHANGE_KINDS[changes.kind[i]] + port + " (" + strings[changes.from[i]] + " -> " +
         strings[changes.to[i]] + ")";
}
// Picture categories: 1 opened or new, 2 closed or gone, 4 any other change.
function changeCategory(i) {
  var kind = changes.kind[i];
  return kind === 0 || kind === 2 ? 1 : kind === 1 || kind === 3 ? 2 : 4;
}

// ---- pictures ----------------------------------------------------------------------------
var info = document.getElementById("cell-info");
function showInfo(event, title, lines) {
  info.textContent = "";
  info.appendChild(element("b", title));
  var shown = lines.slice(0, 24);
  for (var i = 0; i < shown.length; i++) info.appendChild(element("div", shown[i]));
  if (lines.length > shown.length) info.appendChild(element("div", "... " + (lines.length - shown.length) + " more"));
  info.hidden = false;
  info.style.left = Math.min(event.clientX + 14, window.innerWidth - 360) + "px";
  info.style.top = Math.min(event.clientY + 14, window.innerHeight - 40 - 16 * shown.length) + "px";
}
function hideInfo() { info.hidden = true; }

// A layout shared by both pictures: per /16 one cell per address when the scan spans at most
// FINE_BLOCKS_MAX /16s, else per /8 one cell per /24.
var fine = (function () {
  var blocks = 0, last = -1;
  for (var i = 0; i < hostCount; i++) {
    var block = hostAddress[i] >>> 16;
    if (block !== last) { blocks++; last = block; }
  }
  for (i = 0; i < changeAddress.length; i++) {
    if ((changeAddress[i] >>> 16) !== last) { blocks++; last = changeAddress[i] >>> 16; }
  }
  return blocks <= FINE_BLOCKS_MAX;
})();
var blockShift = fine ? 16 : 24, cellShift = fine ? 0 : 8;
function blockName(block) {
  return fine ? ipText(block << 16) + "/16" : ipText(block << 24) + "/8";
}
function cellAddress(block, cell) { return ((block << blockShift) | (cell << cellShift)) >>> 0; }

// picture: {addresses (sorted), value(i) -> cell contribution, colour(sum, flags) -> css colour,
// describe(event, address)}. Draws one canvas per block; returns [cells with a value, blocks].
function drawPictures(container, picture) {
  var addresses = picture.addresses, i = 0, liveTotal = 0, blocks = 0;
  while (i < addresses.length) {
    var block = addresses[i] >>> blockShift, end = i;
    var sums = new Uint32Array(65536), flags = new Uint8Array(65536);
    while (end < addresses.length && (addresses[end] >>> blockShift) === block) {
      var cell = (addresses[end] >>> cellShift) & 65535;
      var value = picture.value(end);
      sums[cell] += value[0];
      flags[cell] |= value[1];
      end++;
    }
    liveTotal += paintBlock(container, picture, block, sums, flags, end - i);
    blocks++;
    i = end;
  }
  container.dataset.blocks = blocks;
  return liveTotal;
}
function paintBlock(container, picture, block, sums, flags, entries) {
  var canvas = document.createElement("canvas");
  canvas.width = 256; canvas.height = 256;
  var context = canvas.getContext("2d"), image = context.createImageData(256, 256);
  var pixels = new Uint32Array(image.data.buffer), live = 0, open = 0, cache = {};
  for (var cell = 0; cell < 65536; cell++) {
    var key = flags[cell] ? flags[cell] + ":" + sums[cell] : "0";
    if (flags[cell]) { live++; if (picture.isOpen(sums[cell], flags[cell])) open++; }
    if (!(key in cache)) cache[key] = rgba(picture.colour(sums[cell], flags[cell]));
    pixels[cell] = cache[key];
  }
  context.putImageData(image, 0, 0);
  canvas.dataset.block = blockName(block);
  canvas.dataset.live = live;
  canvas.dataset.open = open;
  var figure = element("figure");
  figure.appendChild(element("figcaption", blockName(block) + ": " + picture.caption(live, open, entries)));
  figure.appendChild(canvas);
  container.appendChild(figure);
  container.dataset.liveCells = (+container.dataset.liveCells || 0) + live;
  container.dataset.openCells = (+container.dataset.openCells || 0) + open;
  canvas.addEventListener("mousemove", function (event) {
    picture.describe(event, cellAddress(block, cellAt(canvas, event)));
  });
  canvas.addEventListener("mouseleave", hideInfo);
  canvas.addEventListener("click", function (event) {
    var address = cellAddress(block, cellAt(canvas, event));
    setFilter("subnet", fine ? ipText(address) : ipText(address) + "/24");
    document.getElementById("filters").scrollIntoView();
  });
  return live;
}
function cellAt(canvas, event) {
  var rect = canvas.getBoundingClientRect();
  var x = Math.min(255, Math.floor((event.clientX - rect.left) * 256 / rect.width));
  var y = Math.min(255, Math.floor((event.clientY - rect.top) * 256 / rect.height));
  return y * 256 + x;
}
function rgba(hex) {  // "#rrggbb" -> little-endian RGBA pixel
  var n = parseInt(hex.slice(1), 16);
  return ((255 << 24) | ((n & 255) << 16) | (n & 0xff00) | (n >>> 16)) >>> 0;
}
var GREENS = ["#a8df9a", "#6cc05a", "#3a9a35", "#1d6b1f"];
function openColour(count) {
  var step = fine ? count - 1 : Math.floor(Math.log(count) / Math.log(4));
  return GREENS[Math.max(0, Math.min(GREENS.length - 1, step))];
}
// Hosts (or changes) whose address lies in the described cell.
function cellRange(sorted, address) {
  var size = fine ? 1 : 256;
  return [lowerBound(sorted, address), lowerBound(sorted, address + size)];
}
function cellTitle(address) { return fine ? ipText(address) : ipText(address) + "/24"; }

var resultsPicture = {
  addresses: hostAddress,
  value: function (i) { return [hostOpen[i], 1]; },
  isOpen: function (sum) { return sum > 0; },
  colour: function (sum, flag) { return !flag ? "#e6e6e6" : sum ? openColour(sum) : "#7fa7d0"; },
  caption: function (live, open) {
    return live + (fine ? " hosts up, " : " /24s with hosts up, ") + open + " with open ports";
  },
  describe: function (event, address) {
    var range = cellRange(hostAddress, address), lines = [];
    if (fine) {
      if (range[1] > range[0]) lines = hostLines(range[0]);
      else lines = ["no answer"];
    } else {
      var open = 0;
      for (var i = range[0]; i < range[1]; i++) open += hostOpen[i];
      lines = [(range[1] - range[0]) + " hosts up", open + " open ports"];
    }
    showInfo(event, cellTitle(address), lines);
  }
};
var changesPicture = {
  addresses: changeAddress,
  value: function (i) { return [1, changeCategory(i)]; },
  isOpen: function (sum, flag) { return flag === 1; },
  colour: function (sum, flag) {
    if (!flag) return "#eeeeee";
    if (flag === 1) return "#2e9e3a";
    if (flag === 2) return "#cc3333";
    return (flag & 3) === 3 ? "#8a3fb8" : flag === 4 ? "#e0a020" : "#8a3fb8";
  },
  caption: function (live) { return live + (fine ? " hosts changed" : " /24s changed"); },
  describe: function (event, address) {
    var range = cellRange(changeAddress, address), lines = [];
    for (var i = range[0]; i < range[1]; i++) {
      lines.push((fine ? "" : ipText(changeAddress[i]) + " ") + changeText(i));
    }
    showInfo(event, cellTitle(address), lines.length ? lines : ["no change"]);
  }
};

// ---- virtual table -----------------------------------------------------------------------
// Creates the rows in view only; `cells(row)` returns [[text, class], ...] for one row.
function VirtualTable(view, headers, widths, cells) {
  var head = element("table"), colgroup = function (table) {
    var group = element("colgroup");
    for (var i = 0; i < widths.length; i++) { var col = element("col"); col.style.width = widths[i]; group.appendChild(col); }
    table.appendChild(group);
  };
  colgroup(head);
  var headRow = element("tr");
  for (var i = 0; i < headers.length; i++) headRow.appendChild(element("th", headers[i]));
  head.appendChild(headRow);
  var scroller = element("div", undefined, "scroller"), spacer = element("div");
  var body = element("table", undefined, "rows");
  colgroup(body);
  var tbody = element("tbody");
  body.appendChild(tbody);
  scroller.appendChild(spacer); scroller.appendChild(body);
  view.appendChild(head); view.appendChild(scroller);
  var rows = new Uint32Array(0), pool = [];
  function render() {
    var visible = Math.ceil((scroller.clientHeight || 600) / ROW_HEIGHT) + 1;
    var height = Math.min(rows.length * ROW_HEIGHT, MAX_SCROLL_HEIGHT);
    var scrollable = Math.max(1, height - scroller.clientHeight);
    var first = height < MAX_SCROLL_HEIGHT ? Math.floor(scroller.scrollTop / ROW_HEIGHT)
        : Math.floor(Math.min(1, scroller.scrollTop / scrollable) * Math.max(0, rows.length - visible));
    first = Math.max(0, Math.min(first, rows.length - visible));
    body.style.top = (height < MAX_SCROLL_HEIGHT ? first * ROW_HEIGHT : scroller.scrollTop) + "px";
    for (var n = 0; n < visible; n++) {
      if (!pool[n]) {
        pool[n] = element("tr");
        for (var c = 0; c < headers.length; c++) pool[n].appendChild(element("td"));
        tbody.appendChild(pool[n]);
      }
      var tr = pool[n], row = first + n;
      tr.hidden = row >= rows.length;
      if (tr.hidden) continue;
      var values = cells(rows[row]);
      for (c = 0; c < values.length; c++) {
        tr.cells[c].textContent = values[c][0];
        tr.cells[c].className = values[c][1] || "";
      }
    }
  }
  scroller.addEventListener("scroll", render);
  window.addEventListener("resize", render);
  this.show = function (selected) {
    rows = selected;
    spacer.style.height = Math.min(rows.length * ROW_HEIGHT, MAX_SCROLL_HEIGHT) + "px";
    view.dataset.rows = rows.length;
    scroller.scrollTop = 0;
    render();
  };
}

// ---- results and filters -----------------------------------------------------------------
// Rows are record indices; summarised groups are recordCount + group index.
function resultCells(row) {
  if (row >= recordCount) {
    var c = row - recordCount, state = collapsed[3 * c + 1];
    return [[ipText(hostAddress[collapsed[3 * c]])], [collapsed[3 * c + 2] + " more", "number"], [""],
            [STATES[state], STATE_CLASS[state]], ["summarised in the input", "note"], [""]];
  }
  var k = records[row];
  return [[ipText(hostAddress[recordHost[row]])], [String(kinds.port[k]), "number"],
          [PROTOS[kinds.proto[k]]], [STATES[kinds.state[k]], STATE_CLASS[kinds.state[k]]],
          [strings[kinds.reason[k]]], [strings[kinds.service[k]]]];
}
// "22,80-90" -> test function; null for an empty text.
function portTest(text) {
  text = text.trim();
  if (!text) return null;
  var ranges = text.split(/[ ,]+/).map(function (part) {
    var ends = part.split("-");
    return [+ends[0], ends.length > 1 ? +ends[1] : +ends[0]];
  });
  return function (port) {
    for (var i = 0; i < ranges.length; i++) if (port >= ranges[i][0] && port <= ranges[i][1]) return true;
    return false;
  };
}
// "198.18.3.0/24", "198.18.3.7" or a dotted prefix "198.18.3" -> [first, last] address.
function subnetRange(text) {
  text = text.trim().replace(/\.$/, "");
  if (!text) return null;
  var parts = text.split("/"), octets = parts[0].split(".");
  var bits = parts.length > 1 ? +parts[1] : 8 * octets.length, base = 0;
  for (var i = 0; i < 4; i++) base = base * 256 + (i < octets.length ? (+octets[i] & 255) : 0);
  if (!(bits >= 0 && bits <= 32)) return [1, 0];
  var size = Math.pow(2, 32 - bits);
  base = Math.floor(base / size) * size;
  return [base, base + size - 1];
}
var filterIds = ["state", "proto", "port", "service", "subnet", "q"];
function filterValue(name) { return document.getElementById("filter-" + name).value; }
// Per kind: [passes the state/protocol/port/service filters, its text matches the search].
function kindFilters(test) {
  var state = filterValue("state"), proto = filterValue("proto"), ports = portTest(filterValue("port"));
  var service = filterValue("service").trim().toLowerCase();
  var ok = new Uint8Array(kinds.port.length), textOk = new Uint8Array(kinds.port.length);
  for (var k = 0; k < ok.length; k++) {
    ok[k] = (!state || STATES[kinds.state[k]] === state) && (!proto || PROTOS[kinds.proto[k]] === proto) &&
            (!ports || ports(kinds.port[k])) &&
            (!service || strings[kinds.service[k]].toLowerCase().indexOf(service) >= 0) ? 1 : 0;
    textOk[k] = !test || test(kindPortText(k) + " " + STATES[kinds.state[k]] + " " +
                              strings[kinds.reason[k]] + " " + strings[kinds.service[k]]) ? 1 : 0;
  }
  return [ok, textOk];
}
// The rows that pass every filter; the search matches a row's host address or its other texts.
function selectRows() {
  var query = filterValue("q").trim().toLowerCase();
  var test = query ? function (text) { return text.toLowerCase().indexOf(query) >= 0; } : null;
  var range = subnetRange(filterValue("subnet")) || [0, 4294967295];
  var filters = kindFilters(test), ok = filters[0], textOk = filters[1];
  var selected = new Uint32Array(recordCount + collapsedCount), n = 0;
  var state = filterValue("state");
  var collapsedOk = !filterValue("port") && !filterValue("service") && filterValue("proto") !== "udp";
  var first = lowerBound(hostAddress, range[0]), c = 0;
  while (c < collapsedCount && collapsed[3 * c] < first) c++;
  for (var h = first; h < hostCount && hostAddress[h] <= range[1]; h++) {
    var hostMatches = test === null || test(ipText(hostAddress[h]));
    for (var r = hostFirst[h]; r < hostFirst[h + 1]; r++) {
      var k = records[r];
      if (ok[k] && (hostMatches || textOk[k])) selected[n++] = r;
    }
    for (; c < collapsedCount && collapsed[3 * c] === h; c++) {
      var stateOk = !state || STATES[collapsed[3 * c + 1]] === state;
      if (collapsedOk && stateOk && hostMatches) selected[n++] = recordCount + c;
    }
  }
  return selected.subarray(0, n);
}
var resultsView = document.getElementById("results-view");
var resultsTable = new VirtualTable(resultsView, ["host", "port", "proto", "state", "reason", "service"],
                                    ["9em", "5em", "4em", "8em", "10em", "auto"], resultCells);
resultsView.dataset.totalRows = recordCount + collapsedCount;
function applyFilters() {
  var rows = selectRows();
  resultsTable.show(rows);
  document.getElementById("results-count").textContent =
      rows.length + " of " + (recordCount + collapsedCount) + " rows";
  var hash = filterIds.filter(function (name) { return filterValue(name); }).map(function (name) {
    return name + "=" + encodeURIComponent(filterValue(name));
  }).join("&");
  if (history.replaceState && ("#" + hash) !== location.hash && (hash || location.hash)) {
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }
}
function setFilter(name, value) {
  document.getElementById("filter-" + name).value = value;
  applyFilters();
}
function filtersFromHash() {
  var params = new URLSearchParams(location.hash.replace(/^#/, ""));
  filterIds.forEach(function (name) {
    document.getElementById("filter-" + name).value = params.get(name) || "";
  });
}
var pending = 0;
filterIds.forEach(function (name) {
  var input = document.getElementById("filter-" + name);
  input.addEventListener(input.tagName === "SELECT" ? "change" : "input", function () {
    clearTimeout(pending);
    pending = setTimeout(applyFilters, 120);
  });
});
window.addEventListener("hashchange", function () { filtersFromHash(); applyFilters(); });

// ---- draw --------------------------------------------------------------------------------
drawPictures(document.getElementById("grids"), resultsPicture);
if (changes) {
  document.getElementById("change-grids-section").hidden = false;
  var changeGrids = document.getElementById("change-grids");
  changeGrids.dataset.changedCells = drawPictures(changeGrids, changesPicture);
  var changesView = document.getElementById("changes-view");
  var changesTable = new VirtualTable(changesView, ["change", "host", "port", "from", "to"],
      ["10em", "9em", "6em", "9em", "auto"], function (i) {
        var kind = changes.kind[i];
        return [[CHANGE_KINDS[kind], kind === 2 || kind === 0 ? "open" : kind === 3 || kind === 1 ? "closed" : ""],
                [ipText(changeAddress[i])],
                [changes.port[i] < 0 ? "" : changes.port[i] + "/" + PROTOS[changes.proto[i]]],
                [strings[changes.from[i]]], [strings[changes.to[i]]]];
      });
  var all = new Uint32Array(changeAddress.length);
  for (var i = 0; i < all.length; i++) all[i] = i;
  changesTable.show(all);
}
filtersFromHash();
applyFilters();
document.body.dataset.renderMs = Math.round(performance.now() - started);
// Milliseconds since navigation began: drawn (script done), then shown (the next frame painted).
document.body.dataset.drawnAtMs = Math.round(performance.now());
document.body.dataset.ready = "1";
requestAnimationFrame(function () {
  setTimeout(function () { document.body.dataset.shownAtMs = Math.round(performance.now()); }, 0);
});
})();
)js";

}  // namespace synscan::output::detail
