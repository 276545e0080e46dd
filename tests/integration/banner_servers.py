#!/usr/bin/env python3
"""Service-stage lab servers (run inside a lab target namespace by banner_test.py and
scripts/measure-banners; stdlib only). Every listener binds 0.0.0.0, so every address of the
lab's prefix (route local) has them:

  22         SSH-style greeter        SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3
  25         SMTP greeter             220 mail.lab.synscan.test ESMTP Postfix (Debian/GNU)
  80         HTTP (answers a GET)     Server: synlab-http/1.0, <title>Synscan lab</title>
  443        TLS, HTTP inside         the certificate and key given on the command line
  --greeters FIRST-LAST               one SSH-style greeter per port (many open ports that speak)

Prints "ready" on stdout once every port listens; runs until killed (its --workers processes
share the listening sockets; they are in the lab's namespace, which lab.down() empties).
  banner_servers.py --cert CERT --key KEY [--greeters 7000-7019] [--ports 22,25,80,443] [--workers N]
"""
import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys

SSH = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
SMTP = b"220 mail.lab.synscan.test ESMTP Postfix (Debian/GNU)\r\n"
BODY = b"<html><head><title>Synscan lab</title></head><body>lab</body></html>"
HTTP = (b"HTTP/1.0 200 OK\r\nServer: synlab-http/1.0\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


async def greet(banner, reader, writer):
    try:
        writer.write(banner)
        await writer.drain()
        await asyncio.wait_for(reader.read(4096), 10)  # until the client closes (or 10 s)
    except (OSError, asyncio.TimeoutError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def http(reader, writer):
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.write(HTTP)
        await writer.drain()
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ssl.SSLError):
        pass
    finally:
        writer.close()


def listeners(args) -> list:
    """(port, socket) for every port, bound before any worker starts (workers share them)."""
    ports = [int(p) for p in args.ports.split(",") if p]
    if args.greeters:
        first, last = (int(x) for x in args.greeters.split("-"))
        ports += range(first, last + 1)
    sockets = []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
        sock.listen(args.backlog)
        sock.setblocking(False)
        sockets.append((port, sock))
    return sockets


async def serve(args, sockets):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    handlers = {22: lambda r, w: greet(SSH, r, w), 25: lambda r, w: greet(SMTP, r, w), 80: http, 443: http}
    servers = []
    for port, sock in sockets:
        handler = handlers.get(port, lambda r, w: greet(SSH, r, w))
        servers.append(await asyncio.start_server(handler, sock=sock, ssl=tls if port == 443 else None))
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ports", default="22,25,80,443")
    parser.add_argument("--greeters", default="")
    parser.add_argument("--backlog", type=int, default=65535)
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the listeners")
    args = parser.parse_args()
    sockets = listeners(args)
    children = []
    for _ in range(args.workers - 1):
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve(args, sockets))
            os._exit(0)
        children.append(pid)
    print("ready", flush=True)
    try:
        asyncio.run(serve(args, sockets))
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
