#!/usr/bin/env python3
"""`synscan report` in a real browser (headless Chromium), at the scale of the demo's scan.

  * a synthetic /16 x 22,25,80,443,8080 scan built from the lab's truth table (lab.truth(): the
    states the demo's real scan reports), as JSON lines and converted to XML by synscan: the
    report from the XML is <= 8 MB; Chromium renders it; the summary equals the truth; the grid
    has one live cell per host up and one open cell per host with an open port; filters set
    through the URL fragment narrow the table to exactly the truth's rows; the JSON lines
    report shows the same numbers; the services chart equals the truth's open ports by service;
  * real mouse events through the DevTools protocol (cdp.py): hovering a cell shows that host's
    ports (or "no answer"), clicking it narrows the table to that host; hovering the change
    picture shows that host's changes;
  * --baseline with two small scans constructed here: the change counts, the changes table and
    the change picture are exactly the changed ports (and agree with `synscan diff --json`);
  * a service name holding markup stays text in the rendered page; greppable input works.

Needs no root. Exit: 0 pass, 1 fail (also: no synscan binary), 77 skipped (no chromium, unless
SYNSCAN_REQUIRE_LAB is set: then 1).
Also: `report_test.py --write-synthetic scan.jsonl` writes the /16 scan for measurements, and
`report_test.py --measure REPORT.html [--runs N] [--screenshot PNG]` times a report's first full
render in a fresh headless Chromium per run (navigation to painted grid and table, browser
start-up excluded).
"""
from __future__ import annotations

import argparse
import html.parser
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
import lab as labmod  # noqa: E402

PREFIX = ipaddress.IPv4Network("198.18.0.0/16")
PORTS = (22, 25, 80, 443, 8080)
SERVICES = {22: "ssh", 25: "smtp", 80: "http", 443: "https", 8080: "http-proxy"}
START = 1764051234
STATES = ("open", "closed", "filtered", "open|filtered")
failures: list[str] = []


def check(condition: bool, message: str) -> None:
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def record(ip: str, port: int, state: str, reason: str, ttl: int, service: str, proto: str = "tcp") -> str:
    return json.dumps({"ip": ip, "port": port, "proto": proto, "state": state, "reason": reason, "ttl": ttl,
                       "service": service, "time": START, "category": "well-known"}, separators=(",", ":"))


def write_synthetic(path: str) -> dict:
    """The /16 x 5 scan as the lab's truth says it; returns the expected figures."""
    expected = {"states": dict.fromkeys(STATES, 0), "up": 0, "open_hosts": 0, "records": []}
    with open(path, "w") as out:
        for address in PREFIX:
            ip = str(address)
            answers = [(port, labmod.truth(address, port)) for port in PORTS]
            up = any(answer.reason != "no-response" for _, answer in answers)
            for port, answer in answers:
                out.write(record(ip, port, answer.state, answer.reason, answer.ttl, SERVICES[port]) + "\n")
                if up:
                    expected["states"][answer.state] += 1
                    expected["records"].append((int(address), port, answer.state, SERVICES[port]))
            expected["up"] += up
            expected["open_hosts"] += up and any(answer.state == "open" for _, answer in answers)
    return expected


class Chromium:
    def __init__(self, binary: str):
        self.binary = binary

    def dump_dom(self, page: str, fragment: str = "") -> tuple[str, float]:
        profile = tempfile.mkdtemp(prefix="synscan-report-chromium-")
        try:
            started = time.monotonic()
            proc = subprocess.run(
                [self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--dump-dom", "file://" + page + fragment],
                capture_output=True, text=True, timeout=180)
            return proc.stdout, time.monotonic() - started
        finally:
            shutil.rmtree(profile, ignore_errors=True)


def attribute(dom: str, element_id: str, name: str) -> int | None:
    found = re.search(r'<[a-z]+ [^>]*id="' + re.escape(element_id) + r'"[^>]*>', dom)
    value = found and re.search(r'\b' + re.escape(name) + r'="(-?\d+)"', found.group(0))
    return int(value.group(1)) if value else None


def total(dom: str, element_id: str) -> int | None:
    found = re.search(r'id="' + re.escape(element_id) + r'"><b>(\d+)</b>', dom)
    return int(found.group(1)) if found else None


class RowCollector(html.parser.HTMLParser):
    """The rendered (not hidden) body rows of one table view: lists of cell texts."""

    def __init__(self, view_id: str):
        super().__init__()
        self.view_id, self.depth, self.rows, self.in_rows, self.row, self.cell = view_id, 0, [], False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag not in ("col", "input", "br")
        elif attrs.get("id") == self.view_id:
            self.depth = 1
        if not self.depth:
            return
        if tag == "table" and "rows" in (attrs.get("class") or ""):
            self.in_rows = True
        elif tag == "tr" and self.in_rows and "hidden" not in attrs:
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= tag not in ("col", "input", "br")
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, text):
        if self.cell is not None:
            self.cell += text


def rendered_rows(dom: str, view_id: str) -> list[list[str]]:
    collector = RowCollector(view_id)
    collector.feed(dom)
    return collector.rows


def report(binary: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "report", *arguments], capture_output=True, text=True, timeout=300)


def check_summary(dom: str, expected: dict, label: str) -> None:
    check(total(dom, "hosts-up") == expected["up"], f"{label}: hosts up {total(dom, 'hosts-up')} == {expected['up']}")
    for state, count in expected["states"].items():
        element = "total-" + state.replace("|", "-")
        check(total(dom, element) == count, f"{label}: {state} {total(dom, element)} == {count}")
    silent = total(dom, "hosts-silent")
    check(silent == PREFIX.num_addresses - expected["up"], f"{label}: addresses no answer {silent}")
    opened: dict[str, int] = {}
    for _, port, state, service in expected["records"]:
        if state == "open":
            opened[f"{port}/tcp {service}"] = opened.get(f"{port}/tcp {service}", 0) + 1
    chart = re.findall(r'<text x="0" y="\d+" font-size="13">([^<]*)</text><rect [^>]*>(?:</rect>)?<text [^>]*>(\d+)</text>', dom)
    check({name: int(count) for name, count in chart} == opened and len(chart) == len(opened),
          f"{label}: open ports by service chart {chart} == {opened}")
    per_host: dict[int, int] = {}
    for address, _, state, _ in expected["records"]:
        per_host[address] = per_host.get(address, 0) + (state == "open")
    top = sorted(((-count, address) for address, count in per_host.items() if count))[:20]
    want = [(str(ipaddress.IPv4Address(address)), -count) for count, address in top]
    table = dom[dom.index('id="top-hosts"'):]
    shown = [(a, int(c)) for a, c in re.findall(r'<tr><td>([\d.]+)</td><td class="number">(\d+)</td>',
                                                  table[:table.index("</table>")])]
    check(shown == want, f"{label}: the hosts with the most open ports {shown[:3]}... == {want[:3]}...")
    check(attribute(dom, "grids", "data-live-cells") == expected["up"],
          f"{label}: grid live cells {attribute(dom, 'grids', 'data-live-cells')} == hosts up {expected['up']}")
    check(attribute(dom, "grids", "data-open-cells") == expected["open_hosts"],
          f"{label}: grid open cells {attribute(dom, 'grids', 'data-open-cells')} == {expected['open_hosts']}")
    check(attribute(dom, "grids", "data-blocks") == 1, f"{label}: one /16 picture")
    check(attribute(dom, "results-view", "data-rows") == len(expected["records"]),
          f"{label}: unfiltered table has every record ({attribute(dom, 'results-view', 'data-rows')})")


def check_filters(chromium: Chromium, page: str, expected: dict) -> None:
    subnet = ipaddress.IPv4Network("198.18.3.0/24")
    cases = [
        ("#state=open", lambda a, p, s, v: s == "open"),
        ("#state=closed&service=https", lambda a, p, s, v: s == "closed" and v == "https"),
        ("#port=22,8080&subnet=198.18.3.0/24",
         lambda a, p, s, v: p in (22, 8080) and ipaddress.IPv4Address(a) in subnet),
        ("#q=198.18.200.1", lambda a, p, s, v: "198.18.200.1" in str(ipaddress.IPv4Address(a))),
    ]
    for fragment, keep in cases:
        want = [r for r in expected["records"] if keep(*r)]
        dom, _ = chromium.dump_dom(page, fragment)
        rows = attribute(dom, "results-view", "data-rows")
        check(rows == len(want) and 0 < len(want) < len(expected["records"]),
              f"filter {fragment}: {rows} rows == truth {len(want)}")
        shown = rendered_rows(dom, "results-view")
        first = [[str(ipaddress.IPv4Address(a)), str(p), "tcp", s, v] for a, p, s, v in want[:len(shown)]]
        check(shown and [row[:4] + row[5:] for row in shown] == first,
              f"filter {fragment}: the {len(shown)} rendered rows are the truth's first rows")


CELL_INFO = """(() => {
  const info = document.getElementById("cell-info");
  return {hidden: info.hidden, title: (info.querySelector("b") || {}).textContent,
          lines: Array.from(info.querySelectorAll("div"), d => d.textContent)};
})()"""
SHOWN_ROWS = """Array.from(document.querySelectorAll("#results-view table.rows tr"))
  .filter(tr => !tr.hidden).map(tr => Array.from(tr.cells, td => td.textContent))"""


def cell_point(page: cdp.Browser, grids_id: str, address: int) -> tuple[float, float]:
    """The viewport point of address's cell in the first picture of grids_id (one cell per address)."""
    rect = page.evaluate(f"""(() => {{
      const canvas = document.querySelector("#{grids_id} canvas");
      canvas.scrollIntoView({{block: "center"}});
      const r = canvas.getBoundingClientRect();
      return [r.left, r.top, r.width, r.height];
    }})()""")
    cell = address & 0xFFFF
    x, y = cell % 256, cell // 256
    return rect[0] + (x + 0.5) * rect[2] / 256, rect[1] + (y + 0.5) * rect[3] / 256


def hover(page: cdp.Browser, grids_id: str, address: int) -> dict:
    page.mouse("mouseMoved", *cell_point(page, grids_id, address))
    return page.evaluate(CELL_INFO)


def interaction_test(chromium: str, page_path: str, expected: dict) -> None:
    """Real mouse events (DevTools Input): hovering a cell shows that host's ports, hovering a
    silent address says so, clicking a cell narrows the table to that host."""
    by_host: dict[int, list] = {}
    for address, port, state, service in expected["records"]:
        by_host.setdefault(address, []).append(f"{port}/tcp {state} {service}")
    host = int(ipaddress.IPv4Address("198.18.3.7"))
    silent = next(int(a) for a in PREFIX if int(a) not in by_host)
    with cdp.Browser(chromium) as page:
        page.navigate("file://" + page_path)
        wait_shown(page)
        info = hover(page, "grids", host)
        check(not info["hidden"] and info["title"] == "198.18.3.7" and info["lines"] == by_host[host],
              f"hovering 198.18.3.7's cell shows its ports: {info}")
        info = hover(page, "grids", silent)
        check(info["title"] == str(ipaddress.IPv4Address(silent)) and info["lines"] == ["no answer"],
              f"hovering a silent address's cell says no answer: {info}")
        page.mouse("mousePressed", *cell_point(page, "grids", host))
        page.mouse("mouseReleased", *cell_point(page, "grids", host))
        subnet = page.evaluate('document.getElementById("filter-subnet").value')
        rows = page.evaluate(SHOWN_ROWS)
        want = [["198.18.3.7", line.split("/")[0], "tcp", line.split()[1]] for line in by_host[host]]
        check(subnet == "198.18.3.7" and [row[:4] for row in rows] == want,
              f"clicking the cell shows exactly that host in the table: subnet {subnet!r}, rows {rows}")


def scale_test(binary: str, chromium: Chromium, work: str) -> None:
    jsonl = os.path.join(work, "scan16.jsonl")
    expected = write_synthetic(jsonl)
    xml = os.path.join(work, "scan16.xml")
    proc = subprocess.run([binary, "convert", jsonl, "-oX", xml], capture_output=True, text=True, timeout=300)
    check(proc.returncode == 0, f"convert the /16 to XML ({proc.stderr.strip()[:200]})")
    page = os.path.join(work, "report16.html")
    started = time.monotonic()
    proc = report(binary, xml, "-o", page)
    check(proc.returncode == 0, f"report from XML exits 0 ({time.monotonic() - started:.1f} s) {proc.stderr[:200]}")
    size = os.path.getsize(page)
    print(f"note: /16 x 5 XML {os.path.getsize(xml)} bytes, {len(expected['records'])} records of up hosts, "
          f"report {size} bytes")
    check(size <= 8 * 1024 * 1024, f"report of the /16 x 5 is {size} bytes <= 8 MB")
    dom, seconds = chromium.dump_dom(page)
    check(attribute(dom, "body", "data-ready") is None and 'data-ready="1"' in dom, "Chromium ran the page's script")
    script_ms = re.search(r'data-render-ms="(\d+)"', dom)
    print(f"note: Chromium --dump-dom of the /16 report: {seconds:.2f} s wall (browser start included), "
          f"page script {script_ms.group(1) if script_ms else '?'} ms")
    check_summary(dom, expected, "/16 from XML")
    check_filters(chromium, page, expected)
    interaction_test(chromium.binary, page, expected)
    page_jsonl = os.path.join(work, "report16-jsonl.html")
    check(report(binary, jsonl, "-o", page_jsonl).returncode == 0, "report from JSON lines exits 0")
    dom, _ = chromium.dump_dom(page_jsonl)
    check_summary(dom, expected, "/16 from JSON lines")


HOSTILE = "</script><img src=x onerror=\"document.title='pwned'\">"


def baseline_inputs(work: str) -> tuple[str, str]:
    a, b, c, d = "198.18.7.1", "198.18.7.2", "198.18.9.3", "198.18.200.4"
    before = [record(a, 22, "open", "syn-ack", 64, "ssh"), record(a, 80, "closed", "reset", 64, "http"),
              record(b, 22, "open", "syn-ack", 64, "ssh"), record(c, 443, "open", "syn-ack", 64, "https"),
              record(d, 8080, "filtered", "no-response", 0, "http-proxy")]
    after = [record(a, 22, "closed", "reset", 64, "ssh"), record(a, 80, "open", "syn-ack", 64, "http"),
             record(b, 22, "filtered", "no-response", 0, "ssh"), record(c, 443, "open", "syn-ack", 64, "https"),
             record(d, 8080, "open", "syn-ack", 64, HOSTILE)]
    paths = []
    for name, lines in (("before", before), ("after", after)):
        paths.append(os.path.join(work, name + ".jsonl"))
        with open(paths[-1], "w") as out:
            out.write("\n".join(lines) + "\n")
    return paths[0], paths[1]


def baseline_test(binary: str, chromium: Chromium, work: str) -> None:
    before, after = baseline_inputs(work)
    page = os.path.join(work, "baseline.html")
    check(report(binary, after, "--baseline", before, "-o", page).returncode == 0, "report --baseline exits 0")
    diff = json.loads(subprocess.run([binary, "diff", before, after, "--json"], capture_output=True,
                                     text=True, timeout=60).stdout)
    want = [[c["kind"], c["ip"], c["port"], c["from"], c["to"]] for c in diff["changes"]]
    check(want == [["no longer open", "198.18.7.1", "22/tcp", "open", "closed"],
                   ["new open port", "198.18.7.1", "80/tcp", "closed", "open"],
                   ["vanished host", "198.18.7.2", "", "up", "host down"],
                   ["no longer open", "198.18.7.2", "22/tcp", "open", "host down"],
                   ["new host", "198.18.200.4", "", "host down", "up"],
                   ["new open port", "198.18.200.4", "8080/tcp", "host down", "open"]],
          f"synscan diff of the constructed scans: {want}")
    dom, _ = chromium.dump_dom(page)
    check(rendered_rows(dom, "changes-view") == want, "the changes table is exactly the diff")
    check(attribute(dom, "changes-view", "data-rows") == len(want), "the changes view holds 6 rows")
    for element, count in (("changes-new-open-port", 2), ("changes-no-longer-open", 2), ("changes-new-host", 1),
                           ("changes-vanished-host", 1), ("changes-state-changed", 0)):
        check(total(dom, element) == count, f"{element} {total(dom, element)} == {count}")
    check(attribute(dom, "change-grids", "data-changed-cells") == 3, "change picture: 3 changed hosts")
    check(attribute(dom, "change-grids", "data-blocks") == 1, "change picture: one /16 (198.18)")
    with cdp.Browser(chromium.binary) as browser:
        browser.navigate("file://" + page)
        wait_shown(browser)
        for ip in ("198.18.7.1", "198.18.7.2"):
            lines = [f"{kind}{' ' + port if port else ''} ({old} -> {new})" for kind, at, port, old, new in want
                     if at == ip]
            info = hover(browser, "change-grids", int(ipaddress.IPv4Address(ip)))
            check(info["title"] == ip and info["lines"] == lines, f"hovering {ip} in the change picture: {info}")
    # The hostile service name: text in the table, never markup.
    dom, _ = chromium.dump_dom(page, "#port=8080")
    rows = rendered_rows(dom, "results-view")
    check(rows == [["198.18.200.4", "8080", "tcp", "open", "syn-ack", HOSTILE]], f"hostile name shown as text: {rows}")
    check("<img" not in dom and "pwned" not in re.search(r"<title>(.*?)</title>", dom).group(1),
          "no element or script came from the hostile service name")


def greppable_test(binary: str, chromium: Chromium, work: str) -> None:
    _, after = baseline_inputs(work)
    gnmap = os.path.join(work, "after.gnmap")
    check(subprocess.run([binary, "convert", after, "-oG", gnmap], capture_output=True, timeout=60).returncode == 0,
          "convert to greppable")
    page = os.path.join(work, "greppable.html")
    check(report(binary, gnmap, "-o", page).returncode == 0, "report from greppable exits 0")
    dom, _ = chromium.dump_dom(page)
    check(total(dom, "hosts-up") == 3 and total(dom, "total-open") == 3 and total(dom, "total-closed") == 1,
          "greppable report: 3 hosts up, 3 open, 1 closed")
    check(attribute(dom, "grids", "data-live-cells") == 3, "greppable report: 3 live cells")


PAGE_TIMES = """(() => {
  const t = performance.timing, b = document.body.dataset;
  return {response_end: t.responseEnd - t.navigationStart, dom_loaded: t.domContentLoadedEventEnd - t.navigationStart,
          load_end: t.loadEventEnd - t.navigationStart, script_ms: +b.renderMs, drawn_at: +b.drawnAtMs,
          shown_at: +b.shownAtMs};
})()"""


# Milliseconds from setting the URL fragment to the table redrawn for it: this listener is added
# after the page's own hashchange listener, which filters and redraws synchronously.
FILTER_TIME = """new Promise(resolve => {
  const started = performance.now();
  window.addEventListener("hashchange", () => resolve(Math.round(performance.now() - started)), {once: true});
  location.hash = "%s";
})"""


def wait_shown(page: cdp.Browser) -> dict:
    """The page's timings once its first frame with the grid and table has been painted."""
    deadline = time.monotonic() + 120
    while not page.evaluate("!!document.body.dataset.shownAtMs"):
        if time.monotonic() > deadline:
            raise cdp.CdpError("the report never painted its grid and table")
        time.sleep(0.05)
    return page.evaluate(PAGE_TIMES)


def expected_from_jsonl(path: str) -> dict:
    """The figures a report of the /16 scan in path (synscan's JSON lines: every address-port
    pair, silent hosts' included) must show."""
    hosts: dict[int, list] = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            hosts.setdefault(int(ipaddress.IPv4Address(r["ip"])), []).append(r)
    expected = {"states": dict.fromkeys(STATES, 0), "up": 0, "open_hosts": 0, "records": []}
    for address in sorted(hosts):
        records = hosts[address]
        if all(r["reason"] == "no-response" for r in records):
            continue
        expected["up"] += 1
        expected["open_hosts"] += any(r["state"] == "open" for r in records)
        for r in records:
            expected["states"][r["state"]] += 1
            expected["records"].append((address, r["port"], r["state"], r["service"]))
    return expected


def measure(chromium: str, report_page: str, runs: int, screenshot: str | None, truth: str | None) -> int:
    """Render times of one report, browser start-up excluded: a fresh Chromium per run; with
    truth (the scan's JSON lines) the rendered page's figures are checked against it."""
    expected = expected_from_jsonl(truth) if truth else None
    for run in range(runs):
        with cdp.Browser(chromium) as page:
            started = time.monotonic()
            page.navigate("file://" + os.path.abspath(report_page))
            times = wait_shown(page)
            wall = (time.monotonic() - started) * 1000
            print(f"run {run + 1}: navigate->painted {wall:.0f} ms wall; page: " +
                  ", ".join(f"{k} {v} ms" for k, v in times.items()), flush=True)
            filtered = [page.evaluate(FILTER_TIME % fragment) for fragment in ("#state=open", "#q=198.18.200.1", "")]
            print("  filters (hash change -> table redrawn): " +
                  ", ".join(f"{f or 'none'} {ms} ms" for f, ms in zip(("state=open", "q=198.18.200.1", ""), filtered)))
            if screenshot and run == 0:
                page.screenshot(screenshot)
                print(f"screenshot: {screenshot}")
            if expected and run == 0:
                check_summary(page.evaluate("document.documentElement.outerHTML"), expected, "rendered page")
    return 1 if failures else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synscan")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--write-synthetic", metavar="PATH", help="only write the /16 x 5 scan (JSON lines)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--measure", metavar="REPORT", help="only time REPORT's rendering (and --screenshot)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshot", metavar="PNG")
    parser.add_argument("--truth", metavar="JSONL", help="with --measure: check the page against this scan")
    args = parser.parse_args(argv)
    if args.measure:
        return measure(args.chromium, args.measure, args.runs, args.screenshot, args.truth)
    if args.write_synthetic:
        expected = write_synthetic(args.write_synthetic)
        print(f"{len(expected['records'])} records of {expected['up']} hosts up: {expected['states']}")
        return 0
    if not args.synscan or not os.path.isfile(args.synscan) or not os.access(args.synscan, os.X_OK):
        print(f"FAIL: no synscan binary at {args.synscan}")
        return 1
    if not os.path.exists(args.chromium):
        # 77 for a developer without Chromium; 1 under SYNSCAN_REQUIRE_LAB (scripts/test)
        return labmod.cannot_run(f"no chromium at {args.chromium} (scripts/setup installs it)")
    work = tempfile.mkdtemp(prefix="synscan-report-test-")
    chromium = Chromium(args.chromium)
    baseline_test(args.synscan, chromium, work)
    greppable_test(args.synscan, chromium, work)
    scale_test(args.synscan, chromium, work)
    if failures or args.keep:
        print(f"files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"RESULT: FAIL ({len(failures)})" if failures else "RESULT: PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
