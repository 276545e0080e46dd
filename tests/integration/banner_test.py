#!/usr/bin/env python3
"""The service stage (--banners / -sV) and fake-open hosts on the namespace lab (issue 17).

Lab: prefix 198.18.0.0/28; in the target namespace banner_servers.py (SSH-style greeter on 22,
SMTP greeter on 25, HTTP on 80, TLS+HTTP on 443 with a certificate made here by `openssl req`,
SSH-style greeters on 7000-7019) behind the lab's nft rules (lab.truth()), and an nftables
`synproxy` in front of 198.18.0.12 (every port answers SYN-ACK; only ports with a listener
behind it ever speak).

  scan 1: -sV -p 22,25,80,443,7000-7019 198.18.0.1-11   every banner/HTTP/TLS field of every
          open port (XML, JSON, greppable), DTD-valid XML, ndiff and python3-libnmap read the
          service fields; hosts .4 and .8 have all 24 probed ports open and speaking: not marked
  scan 2: --banners -p 22,1000-1199 198.18.0.4,198.18.0.12   .12 marked fake-open (XML hostscript
          and port scripts, JSON fake_open) except its real port 22; .4 not marked
  scan 3: scan 2 with --open: .12's fake ports left out, its port 22 kept

Exit 0 pass, 1 fail, 77 skipped (not root, unless SYNSCAN_REQUIRE_LAB).
"""
from __future__ import annotations

import argparse
import calendar
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as labmod  # noqa: E402

PREFIX = "198.18.0.0/28"
SYNPROXY_HOST = "198.18.0.12"
GREETERS = (7000, 7019)
CN = "lab.synscan.test"
SANS = ["DNS:lab.synscan.test", "DNS:www.lab.synscan.test", "IP Address:198.18.0.1"]
SSH = {"name": "ssh", "product": "OpenSSH", "version": "9.2p1", "extrainfo": "protocol 2.0; Debian-2+deb12u3"}
SMTP = {"name": "smtp", "product": "Postfix smtpd", "version": "", "extrainfo": "mail.lab.synscan.test"}
HTTP = {"name": "http", "product": "synlab-http", "version": "1.0", "extrainfo": ""}
EXPECTED = {22: SSH, 25: SMTP, 80: HTTP, 443: HTTP, **{p: SSH for p in range(GREETERS[0], GREETERS[1] + 1)}}

failures: list[str] = []


def check(condition: bool, what: str):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}")


def make_certificate(directory: str) -> tuple[str, str, int]:
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "20", "-subj", f"/O=Synscan Lab/CN={CN}",
                    "-addext", "subjectAltName=DNS:lab.synscan.test,DNS:www.lab.synscan.test,IP:198.18.0.1"],
                   check=True, capture_output=True)
    end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", cert], check=True, capture_output=True,
                         text=True).stdout.strip().split("=", 1)[1]
    not_after = calendar.timegm(time.strptime(end, "%b %d %H:%M:%S %Y %Z"))
    return cert, key, not_after


def synproxy_ruleset(table: str) -> str:
    return f"""table ip {table} {{
  chain pre {{
    type filter hook prerouting priority raw; policy accept;
    ip daddr {SYNPROXY_HOST} tcp flags syn notrack
  }}
  chain in {{
    type filter hook input priority filter - 10; policy accept;
    ip daddr {SYNPROXY_HOST} ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
    ip daddr {SYNPROXY_HOST} ct state invalid drop
  }}
}}
"""


def start_servers(lab: labmod.Lab, cert: str, key: str, *extra: str) -> subprocess.Popen:
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "banner_servers.py")
    proc = subprocess.Popen(lab.in_target(sys.executable or "python3", script, "--cert", cert, "--key", key,
                                          "--greeters", f"{GREETERS[0]}-{GREETERS[1]}", *extra),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    line = proc.stdout.readline().strip()
    if line != "ready":
        raise labmod.LabError(f"banner servers did not start (got {line!r})")
    return proc


def scan(lab: labmod.Lab, synscan: str, out: str, args: list[str]) -> str:
    cmd = lab.in_scanner(synscan, *args, "--rate", "20000", "--wait", "1", "--no-progress",
                         "-oX", out + ".xml", "-oJ", out + ".jsonl", "-oG", out + ".gnmap")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    print(f"$ {' '.join(cmd)}\n{proc.stderr.strip()}")
    check(proc.returncode == 0, f"{out}: synscan exit {proc.returncode}")
    return proc.stderr


def json_records(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return {(r["ip"], r["port"]): r for r in map(json.loads, f)}


def xml_ports(path: str) -> dict:
    ports = {}
    for host in ET.parse(path).getroot().iter("host"):
        address = host.find("address").get("addr")
        for port in host.iter("port"):
            ports[(address, int(port.get("portid")))] = port
    return ports


def xml_hostscripts(path: str) -> dict:
    return {host.find("address").get("addr"): host.find("hostscript/script[@id='fake-open']")
            for host in ET.parse(path).getroot().iter("host")}


def expected_state(address: str, port: int) -> str:
    """The lab's nft rules first (lab.RULES, first match wins); otherwise a server listens."""
    a = int(ipaddress.IPv4Address(address))
    for rule in labmod.RULES:
        if (a & rule.mask) == rule.value and (rule.port is None or (rule.port == port and rule.proto == "tcp")):
            return labmod._ACTION_RESULT[rule.action][0]
    return "open"


def check_service_scan(base: str, not_after: int):
    check(subprocess.run(["xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", base + ".xml"],
                         capture_output=True).returncode == 0, "scan 1 XML is DTD-valid")
    records, ports = json_records(base + ".jsonl"), xml_ports(base + ".xml")
    grep = open(base + ".gnmap", encoding="utf-8").read()
    counts = {"open ports": 0, "service fields right": 0, "http titles": 0, "tls certificates": 0}
    for address in (str(a) for a in ipaddress.IPv4Network(PREFIX) if 1 <= int(a) % 16 <= 11):
        for port, want in EXPECTED.items():
            if expected_state(address, port) != "open":
                check(not (address, port) in records or records[(address, port)]["state"] != "open",
                      f"{address}:{port} not open by truth")
                continue
            counts["open ports"] += 1
            record, element = records.get((address, port)), ports.get((address, port))
            if record is None or element is None or "banner" not in record:
                check(False, f"{address}:{port}: no service record (JSON {record is not None}, XML {element is not None})")
                continue
            banner, service = record["banner"], element.find("service")
            right = all(banner[k] == v for k, v in want.items()) and service is not None and \
                service.get("method") == "probed" and service.get("conf") == "10" and \
                all((service.get(k) or "") == v for k, v in want.items())
            check(right, f"{address}:{port}: service {banner} / {service.attrib if service is not None else None}")
            counts["service fields right"] += right
            if port in (80, 443):
                title = element.find("script[@id='http-title']")
                ok = record.get("http", {}).get("title") == "Synscan lab" and record["http"]["status"] == 200 \
                    and (port == 443 or (title is not None and title.get("output") == "Synscan lab"))
                check(ok, f"{address}:{port}: http {record.get('http')}")
                counts["http titles"] += ok
            if port == 443:
                tls, cert = record.get("tls", {}), element.find("script[@id='ssl-cert']")
                ok = tls.get("subject_cn") == CN and tls.get("alt_names") == SANS and \
                    tls.get("not_after") == not_after and tls.get("version") == "TLSv1.3" and \
                    service.get("tunnel") == "ssl" and cert is not None and \
                    f"commonName={CN}" in cert.get("output") and "Not valid after:  " in cert.get("output")
                check(ok, f"{address}:443: tls {tls}")
                counts["tls certificates"] += ok
            if port == 22:
                check(f"22/open/tcp//ssh//OpenSSH 9.2p1 (protocol 2.0; Debian-2+deb12u3)/" in grep,
                      f"{address}:22: greppable version column")
            check("fake_open" not in record, f"{address}:{port}: ordinary host marked fake-open")
    print("scan 1:", ", ".join(f"{v} {k}" for k, v in counts.items()))
    hosts = [str(a) for a in ipaddress.IPv4Network(PREFIX) if 1 <= int(a) % 16 <= 11]
    open_at = lambda port: sum(expected_state(a, port) == "open" for a in hosts)  # noqa: E731
    check(counts["open ports"] >= 200, f"scan 1: {counts['open ports']} open ports, expected >= 200")
    check(counts["http titles"] == open_at(80) + open_at(443), "every HTTP(S) title right")
    check(counts["tls certificates"] == open_at(443), "every TLS certificate right")
    check(counts["service fields right"] == counts["open ports"], "every open port's service fields right")
    check(not any(h is not None for h in xml_hostscripts(base + ".xml").values()), "no host of scan 1 marked")


def check_consumers(base: str, directory: str):
    # ndiff reads the service fields: a changed version shows up in its diff.
    changed = os.path.join(directory, "changed.xml")
    text = open(base + ".xml", encoding="utf-8").read().replace('version="9.2p1"', 'version="9.3p2"', 1)
    open(changed, "w", encoding="utf-8").write(text)
    same = subprocess.run(["ndiff", base + ".xml", base + ".xml"], capture_output=True, text=True)
    diff = subprocess.run(["ndiff", base + ".xml", changed], capture_output=True, text=True)
    check(same.returncode == 0, f"ndiff same: exit {same.returncode} {same.stderr}")
    check(diff.returncode == 1 and "OpenSSH 9.2p1" in diff.stdout and "OpenSSH 9.3p2" in diff.stdout,
          f"ndiff shows the service version change: exit {diff.returncode}\n{diff.stdout}{diff.stderr}")
    code = ("import sys; from libnmap.parser import NmapParser\n"
            "r = NmapParser.parse_fromfile(sys.argv[1])\n"
            "h = [h for h in r.hosts if h.address == '198.18.0.4'][0]\n"
            "s = h.get_service(22, 'tcp'); t = h.get_service(443, 'tcp')\n"
            "print(s.service, s.banner, '|', t.tunnel, [x['id'] for x in t.scripts_results])\n")
    libnmap = subprocess.run(["/usr/bin/python3", "-c", code, base + ".xml"], capture_output=True, text=True)
    out = libnmap.stdout.strip()
    check(libnmap.returncode == 0 and out.startswith("ssh product: OpenSSH version: 9.2p1") and
          "| ssl" in out and "['ssl-cert']" in out,
          f"python3-libnmap reads the service fields: {out} {libnmap.stderr[-300:]}")


def check_report(synscan: str, base: str, directory: str, open_22: int, open_443: int):
    """synscan report, from the XML and from the JSON lines: products and expiring certificates."""
    for source in (base + ".xml", base + ".jsonl"):
        page_path = os.path.join(directory, "report.html")
        proc = subprocess.run([synscan, "report", source, "-o", page_path], capture_output=True, text=True)
        check(proc.returncode == 0, f"report {source}: exit {proc.returncode} {proc.stderr}")
        if proc.returncode != 0:
            continue
        page = open(page_path, encoding="utf-8").read()
        products = page[page.find('<table id="products">'):]
        products = products[:products.find("</table>")]
        certificates = page[page.find('<table id="expiring-certificates">'):]
        certificates = certificates[:certificates.find("</table>")]
        check(f"<tr><td>OpenSSH</td><td>9.2p1</td><td class=\"number\">{open_22 + 20 * 11}</td></tr>" in products,
              f"report {source}: OpenSSH row\n{products}")
        check(certificates.count(f"<td>{CN}</td>") == open_443 and "<td class=\"number\">19</td>" in certificates,
              f"report {source}: {open_443} expiring certificates\n{certificates[:600]}")


def check_fake_open(base: str, only_open: bool):
    records, ports, marks = json_records(base + ".jsonl"), xml_ports(base + ".xml"), xml_hostscripts(base + ".xml")
    check(subprocess.run(["xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", base + ".xml"],
                         capture_output=True).returncode == 0, f"{base}: XML is DTD-valid")
    mark = marks.get(SYNPROXY_HOST)
    check(mark is not None and "201 of 201 probed TCP ports open" in mark.get("output", ""),
          f"{base}: synproxy host marked with its reason ({mark.attrib if mark is not None else None})")
    check(marks.get("198.18.0.4") is None, f"{base}: ordinary host 198.18.0.4 not marked")
    real = records.get((SYNPROXY_HOST, 22))
    check(real is not None and real["banner"]["name"] == "ssh" and "fake_open" not in real,
          f"{base}: the real service behind the synproxy keeps its facts, unmarked: {real}")
    fake = [k for k in records if k[0] == SYNPROXY_HOST and k[1] != 22]
    if only_open:
        check(not fake and not [k for k in ports if k[0] == SYNPROXY_HOST and k[1] != 22],
              f"{base}: --open leaves the fake ports out ({len(fake)} JSON records left)")
    else:
        marked = [k for k in fake if records[k].get("fake_open")]
        scripts = [k for k, p in ports.items() if k[0] == SYNPROXY_HOST and p.find("script[@id='fake-open']") is not None]
        print(f"{base}: {len(marked)} of {len(fake)} fake ports marked in JSON, {len(scripts)} in XML")
        check(len(fake) == 200 and len(marked) == 200 and len(scripts) == 200, f"{base}: every fake port marked")
        check(not [k for k in records if k[0] == "198.18.0.4" and records[k].get("fake_open")],
              f"{base}: no port of 198.18.0.4 marked")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synscan", required=True)
    args = parser.parse_args()
    skip = labmod.test_preflight(args.synscan, tools=("openssl", "xmllint", "ndiff"),
                                 files=("/usr/share/nmap/nmap.dtd",))
    if skip is not None:
        return skip
    lab = labmod.Lab(prefix=PREFIX, udp_listen_ports=())
    lifeline = labmod.spawn_reaper(lab)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="synscan-banners-") as directory:
            os.chmod(directory, 0o755)
            cert, key, not_after = make_certificate(directory)
            lab.up()
            # The lab's own listener holds 22/80/443; banner_servers.py takes them over.
            os.killpg(lab.listener_pid, signal.SIGTERM)
            time.sleep(0.3)
            for key_name, value in (("net.netfilter.nf_conntrack_tcp_loose", 0),):
                lab._sysctl(lab.target_ns, key_name, value)
            subprocess.run(lab.in_target("nft", "-f", "-"), input=synproxy_ruleset(f"synprox{lab.id}"),
                           text=True, check=True)
            start_servers(lab, cert, key)
            os.chmod(directory, 0o777)  # the scanner drops to nobody and writes its outputs here
            one = os.path.join(directory, "one")
            scan(lab, args.synscan, one, ["-sV", "-p", f"22,25,80,443,{GREETERS[0]}-{GREETERS[1]}",
                                          "198.18.0.1-198.18.0.11"])
            check_service_scan(one, not_after)
            check_consumers(one, directory)
            hosts = [f"198.18.0.{i}" for i in range(1, 12)]
            check_report(args.synscan, one, directory, sum(expected_state(a, 22) == "open" for a in hosts),
                         sum(expected_state(a, 443) == "open" for a in hosts))
            two = os.path.join(directory, "two")
            stderr = scan(lab, args.synscan, two, ["--banners", "-p", "22,1000-1199", "198.18.0.4", SYNPROXY_HOST])
            check("1 hosts faking open ports" in stderr, "scan 2: the closing line counts one fake-open host")
            check_fake_open(two, only_open=False)
            three = os.path.join(directory, "three")
            scan(lab, args.synscan, three, ["--banners", "--open", "-p", "22,1000-1199", "198.18.0.4", SYNPROXY_HOST])
            check_fake_open(three, only_open=True)
    finally:
        lab.down()
        os.close(lifeline)
    print(f"{time.monotonic() - started:.1f} s")
    if failures:
        print(f"FAIL: {len(failures)} check(s) failed")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
