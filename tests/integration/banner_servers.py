#!/usr/bin/env python3
"""Service-stage lab servers (run inside a lab target namespace by banner_test.py and
scripts/measure-banners; stdlib only). Every listener binds 0.0.0.0, so every address of the
lab's prefix (route local) has them:

  22         SSH-style greeter        SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3
  25         SMTP greeter             220 mail.lab.synscan.test ESMTP Postfix (Debian/GNU)
  80         HTTP (answers a GET)     Server: synlab-http/1.0, <title>Synscan lab</title>
  443        TLS, HTTP inside         the certificate and key given on the command line
  --greeters FIRST-LAST               one SSH-style greeter per port (many open ports that speak)

Prints "ready" on stdout once every port listens; runs until killed.
  banner_servers.py --cert CERT --key KEY [--greeters 7000-7019] [--ports 22,25,80,443]
"""
import argparse
import asyncio
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


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ports", default="22,25,80,443")
    parser.add_argument("--greeters", default="")
    parser.add_argument("--backlog", type=int, default=4096)
    args = parser.parse_args()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    handlers = {22: lambda r, w: greet(SSH, r, w), 25: lambda r, w: greet(SMTP, r, w), 80: http, 443: http}
    servers = []
    for port in (int(p) for p in args.ports.split(",") if p):
        servers.append(await asyncio.start_server(handlers[port], "0.0.0.0", port, backlog=args.backlog,
                                                  ssl=tls if port == 443 else None, reuse_address=True))
    if args.greeters:
        first, last = (int(x) for x in args.greeters.split("-"))
        for port in range(first, last + 1):
            servers.append(await asyncio.start_server(lambda r, w: greet(SSH, r, w), "0.0.0.0", port,
                                                      backlog=args.backlog, reuse_address=True))
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
