#!/usr/bin/env python3
"""A stand-in for synscan built on nmap, with synscan's command line: it lets the lab and the
harness be tested (ctest -L lab -R nmap) independently of the scanner. -oJ is derived from nmap's
XML: every (target, port) pair, hosts nmap did not list as filtered/no-response/ttl 0."""
import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import SERVICES, UDP_SERVICES, expand_targets, parse_port_spec  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("-p", dest="ports", required=True)
ap.add_argument("--rate", type=int, default=10000)
ap.add_argument("--retries", type=int, default=2)
ap.add_argument("--wait", type=float, default=2)
ap.add_argument("--seed"), ap.add_argument("-e", dest="iface")
ap.add_argument("-oX", dest="xml"), ap.add_argument("-oG", dest="gnmap"), ap.add_argument("-oJ", dest="jsonl")
ap.add_argument("-v", action="store_true")
ap.add_argument("-sS", dest="tcp", action="store_true")
ap.add_argument("-sU", dest="udp", action="store_true")
ap.add_argument("targets", nargs="+")
a = ap.parse_args()
xml = a.xml or "/dev/null"
protos = tuple(p for p, on in (("tcp", a.tcp or not a.udp), ("udp", a.udp)) if on)
scan_types = (["-sS"] if "tcp" in protos else []) + (["-sU"] if "udp" in protos else [])
cmd = ["nmap", *scan_types, "-n", "-p", a.ports, "--reason", "-T4", "--min-rate", str(a.rate),
       "--max-retries", str(a.retries), "-oX", xml] + (["-oG", a.gnmap] if a.gnmap else []) + a.targets
rc = subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode
if rc != 0:
    print(f"nmap_as_synscan: nmap exited {rc}", file=sys.stderr)
    sys.exit(2)
if a.jsonl:
    found = {}
    for h in ET.parse(xml).getroot().iter("host"):
        ip = h.find("address").get("addr")
        for pe in h.iter("port"):
            st = pe.find("state")
            found[(ip, pe.get("protocol"), int(pe.get("portid")))] = (st.get("state"), st.get("reason"),
                                                                     int(st.get("reason_ttl")))
    now = int(time.time())
    with open(a.jsonl, "w") as f:
        for addr in expand_targets(a.targets):
            for proto, port in parse_port_spec(a.ports, protos):
                silent = "filtered" if proto == "tcp" else "open|filtered"
                state, reason, ttl = found.get((str(addr), proto, port), (silent, "no-response", 0))
                table = SERVICES if proto == "tcp" else UDP_SERVICES
                svc = sorted(table.get(port, {""}))[-1] if port != 8080 else "http-proxy"
                f.write(json.dumps({"ip": str(addr), "port": port, "proto": proto, "state": state,
                                    "reason": reason, "ttl": ttl, "service": svc, "time": now}) + "\n")
