#!/usr/bin/env python3
"""An HTTP/1.1 proxy between a box and its hub that counts the bytes on the wire and can
drop the hub's answer after the hub has committed (the connection is closed instead of
answering), or hand the box a malformed answer instead (after the hub committed too):
a truncated body, bytes that are no JSON, JSON of the wrong shape, an HTML error page,
a body shorter than its Content-Length, headers cut off, or an invalid status line. For
the sync fault tests, `make torture` and the drain benchmark.

usage: hub_proxy.py UPSTREAM_PORT [--drop-rate P] [--corrupt-rate P] [--seed S] [--path /v1/batches]
(--corrupt-rate applies to every /v1/ answer but enrollment's; --drop-rate to --path only)
Prints `proxy on PORT` when listening; on SIGTERM prints one JSON line of counts:
requests, dropped, corrupted, bytes_up and bytes_down, hub_ms (how long at least one
request was at the hub: overlapping requests count once), max_in_flight (most requests
on --path at the hub at once).
"""
import argparse
import json
import random
import signal
import socket
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("upstream", type=int)
parser.add_argument("--drop-rate", type=float, default=0.0)
parser.add_argument("--corrupt-rate", type=float, default=0.0)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--path", default="/v1/batches")
args = parser.parse_args()
rng = random.Random(args.seed)
lock = threading.Lock()
counts = {"requests": 0, "dropped": 0, "corrupted": 0, "bytes_up": 0, "bytes_down": 0, "hub_ms": 0, "max_in_flight": 0}
at_hub = {"requests": 0, "on_path": 0, "since": 0.0}


def arrived(on_path):
    """A request is on its way to the hub (call with the lock held)."""
    if at_hub["requests"] == 0:
        at_hub["since"] = time.monotonic()
    at_hub["requests"] += 1
    if on_path:
        at_hub["on_path"] += 1
        counts["max_in_flight"] = max(counts["max_in_flight"], at_hub["on_path"])


def answered(on_path):
    """The hub answered it, or the connection failed (call with the lock held)."""
    at_hub["requests"] -= 1
    if on_path:
        at_hub["on_path"] -= 1
    if at_hub["requests"] == 0:
        counts["hub_ms"] += int((time.monotonic() - at_hub["since"]) * 1000)


def corrupt(response, how):
    """A malformed version of the hub's answer; (bytes, close_after)."""
    head, _, body = response.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    def answer(status_line, content_type, payload):
        return (status_line + b"\r\nContent-Type: " + content_type + b"\r\nContent-Length: " + str(len(payload)).encode()
                + b"\r\n\r\n" + payload)
    if how == 0:  # the JSON cut in half, with a Content-Length that matches the cut
        cut = body[: max(1, len(body) // 2)]
        return answer(status, b"application/json", cut), False
    if how == 1:  # bytes that are no JSON at all
        return answer(status, b"application/json", bytes(rng.randrange(256) for _ in range(64))), False
    if how == 2:  # JSON, but not what the document promises
        return answer(status, b"application/json", b'{"unexpected":[1,2,3],"accepted":"many"}'), False
    if how == 3:  # a proxy's HTML error page
        return answer(b"HTTP/1.1 502 Bad Gateway", b"text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"), True
    if how == 4:  # fewer bytes than Content-Length promises, then the connection closes
        return head + b"\r\n\r\n" + body[: len(body) // 3], True
    if how == 5:  # the headers cut off
        return head[: len(head) // 2], True
    return b"HTTP/1.1 999 \x00\xff\r\nContent-Length: 0\r\n\r\n", True  # an invalid status line


def read_message(sock, buffered):
    """One HTTP message (head + Content-Length body) from sock; returns (bytes, rest) or (None, b'')."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def serve(client):
    upstream = socket.create_connection(("127.0.0.1", args.upstream))
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    try:
        while True:
            request, pending = read_message(client, pending)
            if request is None:
                return
            line = request.split(b"\r\n", 1)[0].decode(errors="replace")
            on_path = args.path in line
            with lock:
                arrived(on_path)
            try:
                upstream.sendall(request)
                response, _ = read_message(upstream, b"")
            finally:
                with lock:
                    answered(on_path)
            if response is None:
                return
            with lock:
                counts["requests"] += 1
                counts["bytes_up"] += len(request)
                drop = on_path and rng.random() < args.drop_rate
                close_after = False
                if drop:
                    counts["dropped"] += 1
                elif " /v1/" in line and " /v1/enroll" not in line and rng.random() < args.corrupt_rate:
                    counts["corrupted"] += 1
                    response, close_after = corrupt(response, rng.randrange(7))
                counts["bytes_down"] += 0 if drop else len(response)
            if drop:
                return  # the hub committed; the box never hears it
            client.sendall(response)
            if close_after:
                return
    except OSError:
        return
    finally:
        client.close()
        upstream.close()


def report(*_):
    with lock:
        print(json.dumps(counts), flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(f"proxy on {listener.getsockname()[1]}", flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
