#!/usr/bin/env python3
"""Runs inside a lab's TARGET namespace (started by lab_tests.py hostile): forges replies that are
almost right, and floods junk, at the scanner's address and source-port range. Stdlib only, raw
AF_PACKET sockets on the target's veth (frames go straight to the scanner's MAC).

Reactive forgeries, for every probe the target sees to a (host, port) whose truth is no-response
(nft drops it, so only forgeries can answer it):
  tcp: SYN-ACK ack=seq (off by one), SYN-ACK ack=seq+2, RST without ACK, RST+ACK wrong ack,
       ICMP 3/3 quoting the probe with a wrong sequence, ICMP 3/13 quoting a wrong source port
  udp: reply from the probed port with the DNS id flipped (53 only), reply from an unprobed port,
       ICMP 3/3 quoting a wrong source port
Flood (started at the first probe): spoofed SYN-ACKs/RSTs from outside the targets and from
targets with random ports/acks, UDP from unprobed ports, ICMP errors with garbage quotes,
truncated frames (TCP/UDP cut after the ports, ICMP cut inside the quote), non-IP junk.

Prints one JSON object of counts on stdout when it receives SIGTERM (or after --max-seconds).
"""
import argparse
import ipaddress
import json
import os
import random
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import truth  # noqa: E402

ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800
PACKET_OUTGOING = 4
PORT_LO, PORT_HI = 40000, 40000 + 16384 - 1   # synscan's source-port range (packet/cookie.hpp)


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_header(src: bytes, dst: bytes, proto: int, payload_len: int, ttl: int = 64, ident: int = 0) -> bytes:
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, 0, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def tcp_segment(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int) -> bytes:
    t = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(t))
    return t[:16] + struct.pack("!H", csum(pseudo + t)) + t[18:]


def udp_datagram(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 17, len(u))
    c = csum(pseudo + u) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def icmp_error(typ: int, code: int, quote: bytes) -> bytes:
    m = struct.pack("!BBHI", typ, code, 0, 0) + quote
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


class Injector:
    def __init__(self, a):
        self.a = a
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
        self.sock.bind((a.iface, 0))
        self.eth = bytes.fromhex(a.scanner_mac.replace(":", "")) + bytes.fromhex(a.target_mac.replace(":", "")) \
            + struct.pack("!H", ETH_P_IP)
        self.scanner = socket.inet_aton(a.scanner_ip)
        self.targets = [int(x) for x in ipaddress.IPv4Network(a.targets)]
        self.counts = {"reactive_wellformed": 0, "flood_wellformed": 0, "truncated": 0,
                       "non_ip_junk": 0, "bad_ip_checksum": 0, "probes_seen": 0}
        self.flood_left = a.flood
        self.flood_started = None
        self.flood_done_at = None
        self.rng = random.Random(a.seed)

    def send_ip(self, src: bytes, proto: int, l4: bytes, kind: str, truncate_to: int = 0):
        frame = self.eth + ip_header(src, self.scanner, proto, len(l4), ident=self.rng.randrange(65536)) + l4
        if truncate_to:
            frame = frame[:truncate_to]
        self.sock.send(frame)
        self.counts[kind] += 1

    # -- reactive --------------------------------------------------------------------------
    def react(self, frame: bytes):
        ip = frame[14:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[16:20] == self.scanner:
            return
        ihl = (ip[0] & 15) * 4
        proto, dst = ip[9], ip[16:20]
        if ip[12:16] != self.scanner:
            return
        l4 = ip[ihl:]
        daddr = socket.inet_ntoa(dst)
        if proto == 6 and len(l4) >= 20 and l4[13] == 0x02:       # our SYN probe
            sport, dport, seq = struct.unpack("!HHI", l4[:8])
            self.counts["probes_seen"] += 1
            if truth(daddr, dport, "tcp").reason != "no-response":
                return
            quote_ok = ip[:ihl] + l4[:8]
            for ack, flags in ((seq, 0x12), (seq + 2, 0x12), (0, 0x04), (seq + 0x10000, 0x14)):
                self.send_ip(dst, 6, tcp_segment(dst, self.scanner, dport, sport, 0x1234, ack, flags),
                             "reactive_wellformed")
            bad_seq = quote_ok[:ihl + 4] + struct.pack("!I", seq ^ 0x80000000)
            self.send_ip(dst, 1, icmp_error(3, 3, bad_seq), "reactive_wellformed")
            bad_port = quote_ok[:ihl] + struct.pack("!H", sport ^ 1) + quote_ok[ihl + 2:]
            self.send_ip(dst, 1, icmp_error(3, 13, bad_port), "reactive_wellformed")
        elif proto == 17 and len(l4) >= 8:                         # our UDP probe
            sport, dport = struct.unpack("!HH", l4[:4])
            self.counts["probes_seen"] += 1
            if truth(daddr, dport, "udp").reason != "no-response":
                return
            payload = l4[8:]
            if dport == 53 and len(payload) >= 12:
                wrong = bytes([payload[0] ^ 0xFF, payload[1] ^ 0xFF, 0x81, 0x80]) + payload[4:]
                self.send_ip(dst, 17, udp_datagram(dst, self.scanner, 53, sport, wrong), "reactive_wellformed")
            self.send_ip(dst, 17, udp_datagram(dst, self.scanner, 5353 if dport != 5353 else 5354, sport,
                                               b"unprobed"), "reactive_wellformed")
            bad_port = ip[:ihl] + struct.pack("!H", sport ^ 1) + l4[2:8]
            self.send_ip(dst, 1, icmp_error(3, 3, bad_port), "reactive_wellformed")

    # -- flood -----------------------------------------------------------------------------
    def flood_some(self, n: int):
        r = self.rng
        for _ in range(min(n, self.flood_left)):
            self.flood_left -= 1
            k = r.randrange(10)
            inside = struct.pack("!I", r.choice(self.targets))
            outside = socket.inet_aton(f"198.18.{r.randrange(200, 250)}.{r.randrange(1, 255)}")
            src = inside if k % 2 else outside
            dport = r.randint(PORT_LO, PORT_HI)
            if k in (0, 1):     # SYN-ACK / RST+ACK with random ack from a probed port
                seg = tcp_segment(src, self.scanner, r.choice((22, 80, 443, 8080)), dport, r.getrandbits(32),
                                  r.getrandbits(32), 0x12 if k == 0 else 0x14)
                self.send_ip(src, 6, seg, "flood_wellformed")
            elif k in (2, 3):   # UDP from an unprobed port
                self.send_ip(src, 17, udp_datagram(src, self.scanner, r.choice((7, 1900, 5353, 11211)), dport,
                                                   os.urandom(r.randrange(0, 64))), "flood_wellformed")
            elif k == 4:        # ICMP unreachable quoting a datagram that was never ours
                q = ip_header(src, socket.inet_aton("198.18.250.9"), 6, 20) + os.urandom(8)
                self.send_ip(src, 1, icmp_error(3, r.choice((1, 3, 10, 13)), q), "flood_wellformed")
            elif k == 5:        # truncated TCP: ports present, the rest cut
                seg = tcp_segment(src, self.scanner, 80, dport, 1, 2, 0x12)
                self.send_ip(src, 6, seg, "truncated", truncate_to=14 + 20 + 4)
            elif k == 6:        # truncated UDP (length field says more)
                dg = udp_datagram(src, self.scanner, 53, dport, b"x" * 40)
                self.send_ip(src, 17, dg, "truncated", truncate_to=14 + 20 + 6)
            elif k == 7:        # ICMP 3/3 cut inside the quoted IP header
                q = ip_header(self.scanner, src, 17, 8) + struct.pack("!HH", dport, 53)
                self.send_ip(src, 1, icmp_error(3, 3, q), "truncated", truncate_to=14 + 20 + 8 + 10)
            elif k == 8:        # IPv4 header with a bad checksum (either verdict is fine)
                seg = tcp_segment(src, self.scanner, 443, dport, 5, 6, 0x12)
                frame = self.eth + ip_header(src, self.scanner, 6, len(seg)) + seg
                frame = frame[:24] + b"\xde\xad" + frame[26:]
                self.sock.send(frame)
                self.counts["bad_ip_checksum"] += 1
            else:               # not IP at all
                self.sock.send(self.eth[:12] + b"\x88\xb5" + os.urandom(r.randrange(46, 200)))
                self.counts["non_ip_junk"] += 1
        if self.flood_left == 0 and self.flood_done_at is None:
            self.flood_done_at = time.time()

    def run(self):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        self.sock.settimeout(0.002)
        deadline = time.time() + self.a.max_seconds
        print("ready", file=sys.stderr, flush=True)
        # The flood keeps a schedule (flood_rate frames per second since it started) rather than a
        # fixed batch per loop turn: when a loaded machine runs this process late, the next turns
        # catch up (at most 256 frames per turn, so reacting to probes continues), and the whole
        # flood still goes out while the scan runs.
        sent = 0
        while not stop and time.time() < deadline:
            try:
                frame, addr = self.sock.recvfrom(65535)
                if addr[2] != PACKET_OUTGOING and addr[1] == ETH_P_IP:
                    if self.flood_started is None:
                        self.flood_started = time.time()
                    self.react(frame)
            except socket.timeout:
                pass
            except InterruptedError:
                pass
            now = time.time()
            if self.flood_started is not None and self.flood_left:
                due = int((now - self.flood_started) * self.a.flood_rate) - sent
                if due > 0:
                    batch = min(due, 256, self.flood_left)
                    self.flood_some(batch)
                    sent += batch
        out = dict(self.counts)
        out["flood_started"] = self.flood_started
        out["flood_done_at"] = self.flood_done_at
        out["flood_left"] = self.flood_left
        print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--scanner-mac", required=True)
    ap.add_argument("--target-mac", required=True)
    ap.add_argument("--scanner-ip", required=True)
    ap.add_argument("--targets", required=True, help="the scanned CIDR (flood sources inside it)")
    ap.add_argument("--flood", type=int, default=12000)
    ap.add_argument("--flood-rate", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=60)
    Injector(ap.parse_args()).run()


if __name__ == "__main__":
    main()
