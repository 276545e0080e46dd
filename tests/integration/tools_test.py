#!/usr/bin/env python3
"""synscan's output in the tools people already use, on real lab scans:

  * a scan, then one listener changed (nft resets 22/tcp of one host), then a second scan;
  * `synscan diff` reports exactly that port (exit 1), identical scans are equal (exit 0), --json;
  * `ndiff` agrees (before/after: exactly that host and port, also between the conversions);
  * `synscan convert` JSON lines -> XML passes nmap's DTD and ndiff sees no difference to the
    scan's own XML; python3-libnmap reads hosts, ports, states, services, start time, hosts up;
  * `xsltproc nmap.xsl` renders HTML; the brutespray regex finds every open port in -oG;
  * `synscan report` shows the right totals, also as rendered by headless Chromium; with
    --baseline its changes view is exactly the changed port.

Every consumer is required (scripts/setup installs them): a missing one is a failure, not a skip.
Exit: 0 pass, 1 fail (also: no binary, a missing consumer), 77 skipped (not root, unless
SYNSCAN_REQUIRE_LAB is set: then 1).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as labmod  # noqa: E402
import report_test  # noqa: E402

DTD = "/usr/share/nmap/nmap.dtd"
XSL = "/usr/share/nmap/nmap.xsl"
PYTHON = "/usr/bin/python3"
TARGETS = ["198.18.3.0/24", "198.18.15.0/24"]
PORTS = "22,25,80,443,8080"
CHANGED_HOST = "198.18.3.10"  # 22/tcp is open there by the lab's truth
failures: list[str] = []


def check(condition: bool, message: str) -> None:
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=300, **kwargs)


def scan(lab: labmod.Lab, binary: str, base: str) -> None:
    proc = run(*lab.in_scanner(binary, "-p", PORTS, "--rate", "20000", "--seed", "3", *TARGETS, "-oA", base,
                               "--no-progress"))
    check(proc.returncode == 0, f"scan {os.path.basename(base)} exit {proc.returncode} {proc.stderr.strip()[-200:]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synscan", required=True)
    args = parser.parse_args(argv)
    refused = labmod.test_preflight(args.synscan, tools=("ndiff", "xmllint", "xsltproc", "chromium"),
                                    files=(DTD, XSL, PYTHON))
    if refused is not None:
        return refused
    if run(PYTHON, "-c", "import libnmap").returncode != 0:
        print(f"FAIL: {PYTHON} cannot import libnmap (python3-libnmap; scripts/setup installs it)")
        return 1
    binary = os.path.abspath(args.synscan)
    lab = labmod.Lab()
    lifeline = labmod.spawn_reaper(lab)
    work = tempfile.mkdtemp(prefix=f"synscan-tools-{lab.id}-")
    os.chmod(work, 0o755)
    before, after = os.path.join(work, "before"), os.path.join(work, "after")
    try:
        lab.up()
        scan(lab, binary, before)
        run(*lab.in_target("nft", "insert", "rule", "inet", lab.table, "input", "ip", "daddr", CHANGED_HOST,
                           "tcp", "dport", "22", "reject", "with", "tcp", "reset"))
        scan(lab, binary, after)
    finally:
        lab.down()
        os.close(lifeline)

    # synscan diff
    proc = run(binary, "diff", before + ".xml", after + ".xml")
    check(proc.returncode == 3, f"diff before after exits 3 (got {proc.returncode})")
    lines = proc.stdout.strip().splitlines()
    check(lines == [f"no longer open: {CHANGED_HOST} 22/tcp (open -> closed)"], f"diff reports exactly that port: {lines[:3]}")
    proc = run(binary, "diff", before + ".xml", before + ".jsonl")
    check(proc.returncode == 0 and proc.stdout.strip() == "no differences", "XML and JSON lines of one scan are equal")
    proc = run(binary, "diff", before + ".jsonl", after + ".jsonl", "--json")
    report = json.loads(proc.stdout)
    check(report["equal"] is False and len(report["changes"]) == 1 and report["changes"][0]["ip"] == CHANGED_HOST,
          "diff --json names the one change")
    check(run(binary, "diff", before + ".xml", "/nonexistent.xml").returncode == 2, "diff of a missing file exits 2")
    check(run(binary, "diff", before + ".xml").returncode == 1, "diff with one scan is a usage error: exit 1")

    # ndiff, the nmap tool: before/after differ in exactly the port the lab changed
    proc = run("ndiff", before + ".xml", after + ".xml")
    changed = [line for line in proc.stdout.splitlines() if line.startswith(("-", "+")) and "/tcp" in line]
    check(proc.returncode == 1 and CHANGED_HOST in proc.stdout and len(changed) == 2
          and changed[0].startswith("-22/tcp open") and changed[1].startswith("+22/tcp closed"),
          f"ndiff reports exactly that port: {changed}")

    # convert: JSON lines -> XML, valid and equal to the scan's own XML
    converted = os.path.join(work, "converted.xml")
    check(run(binary, "convert", before + ".jsonl", "-oX", converted).returncode == 0, "convert exits 0")
    for path in (before + ".xml", converted):
        check(run("xmllint", "--noout", "--dtdvalid", DTD, path).returncode == 0, f"{os.path.basename(path)} valid")
    check(run("ndiff", before + ".xml", converted).returncode == 0, "ndiff: converted XML == scan XML")
    # ... and sees the lab's change in the conversion of the second scan's JSON lines too
    converted_after = os.path.join(work, "converted_after.xml")
    check(run(binary, "convert", after + ".jsonl", "-oX", converted_after).returncode == 0, "convert (after) exits 0")
    proc = run("ndiff", converted, converted_after)
    changed = [line for line in proc.stdout.splitlines() if line.startswith(("-", "+")) and "/tcp" in line]
    check(proc.returncode == 1 and len(changed) == 2 and changed[0].startswith("-22/tcp open"),
          f"ndiff: converted before/after differ in exactly that port: {changed}")

    truth_up = {str(a) for a in labmod.expand_targets(TARGETS) if labmod.host_up(a)}
    truth_open = sum(1 for a in truth_up for p in labmod.parse_ports(PORTS) if labmod.truth(a, p).state == "open")

    # python3-libnmap, a real consumer
    probe = (
        "import sys,json\nfrom libnmap.parser import NmapParser\nr=NmapParser.parse_fromfile(sys.argv[1])\n"
        "hosts=[h for h in r.hosts if h.is_up()]\n"
        "print(json.dumps({'up':r.hosts_up,'total':r.hosts_total,'listed':len(hosts),'start':r.started,"
        "'open':sum(len(h.get_open_ports()) for h in hosts),"
        "'ssh':sum(1 for h in hosts for s in h.services if s.port==22 and s.service=='ssh')}))\n"
    )
    for path in (before + ".xml", converted):
        proc = run(PYTHON, "-c", probe, path)
        try:
            facts = json.loads(proc.stdout)
        except json.JSONDecodeError:
            facts = {}
            print(proc.stderr)
        check(facts.get("up") == len(truth_up) and facts.get("listed") == len(truth_up),
              f"libnmap {os.path.basename(path)}: {facts.get('up')} hosts up (truth {len(truth_up)})")
        check(facts.get("open") == truth_open, f"libnmap open ports {facts.get('open')} (truth {truth_open})")
        check(facts.get("ssh", 0) > 0 and facts.get("start", 0) > 1_700_000_000, "libnmap services and start time")

    # xsltproc with nmap's own stylesheet
    proc = run("xsltproc", XSL, before + ".xml")
    check(proc.returncode == 0 and CHANGED_HOST in proc.stdout, "xsltproc nmap.xsl renders the report")

    # brutespray's greppable regex
    with open(before + ".gnmap") as f:
        found = len(re.findall(r"([0-9]+)/open/[a-z]+//", f.read()))
    check(found == truth_open, f"brutespray regex finds {found} open ports (truth {truth_open})")

    # synscan report
    html_path = os.path.join(work, "report.html")
    check(run(binary, "report", before + ".xml", "-o", html_path).returncode == 0, "report exits 0")
    with open(html_path) as f:
        page = f.read()
    check(f'id="total-open"><b>{truth_open}</b>' in page, "report shows the open total")
    check(f'id="hosts-up"><b>{len(truth_up)}</b>' in page, "report shows hosts up")
    profile = tempfile.mkdtemp(prefix="synscan-chromium-")
    proc = run(shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", "file://" + html_path)
    shutil.rmtree(profile, ignore_errors=True)
    check(f'id="total-open"><b>{truth_open}</b>' in proc.stdout, "Chromium renders the open total")

    # synscan report --baseline: the changes view of the two lab scans is exactly the changed port
    html_path = os.path.join(work, "changes.html")
    check(run(binary, "report", after + ".xml", "--baseline", before + ".xml", "-o", html_path).returncode == 0,
          "report --baseline exits 0")
    profile = tempfile.mkdtemp(prefix="synscan-chromium-")
    proc = run(shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", "file://" + html_path)
    shutil.rmtree(profile, ignore_errors=True)
    rows = report_test.rendered_rows(proc.stdout, "changes-view")
    check(rows == [["no longer open", CHANGED_HOST, "22/tcp", "open", "closed"]],
          f"report --baseline in Chromium: the changes table is exactly the changed port: {rows}")
    counts = {kind: report_test.total(proc.stdout, "changes-" + kind)
              for kind in ("new-open-port", "no-longer-open", "new-host", "vanished-host", "state-changed")}
    check(counts == {"new-open-port": 0, "no-longer-open": 1, "new-host": 0, "vanished-host": 0,
                     "state-changed": 0}, f"report --baseline change counts: {counts}")
    cells = report_test.attribute(proc.stdout, "change-grids", "data-changed-cells")
    check(cells == 1, f"report --baseline: one changed cell in the change picture ({cells})")

    if failures:
        print(f"RESULT: FAIL ({len(failures)}), files kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("RESULT: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
