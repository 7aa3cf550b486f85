"""Real HTTP servers for the webhook security tests: each counts the connections it accepts,
so a test can prove a target was never reached, and plays one receiver (or attacker) role."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = b"INTERNAL-SECRET-7f3a"  # in every body an internal service would answer with


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: Server, address, handler):
        self.owner = owner
        super().__init__(address, handler)

    def verify_request(self, request, client_address) -> bool:
        self.owner.hits += 1  # every accepted connection, before anything is read
        return True


class Server:
    """Serves POSTs on `host` with `respond(handler, server)`; `hits` counts connections."""

    def __init__(self, respond: Callable, host: str = "127.0.0.1", port: int = 0):
        self.hits = 0
        self.bytes_sent = 0
        self.requests: list[dict] = []
        self.stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                owner.requests.append({"headers": dict(self.headers), "body": body})
                # The client hanging up mid-answer is what the caps and deadlines are for.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
                    respond(self, owner)

            def log_message(self, *args):
                pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (_Server,), {"address_family": family})
        self.server = server_class(self, (host, port), Handler)
        self.host, self.port = host, self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, host: str | None = None, path: str = "/hook", scheme: str = "http") -> str:
        host = host or self.host
        return f"{scheme}://{f'[{host}]' if ':' in host else host}:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def reply(status: int = 200, body: bytes = SECRET, headers: dict | None = None) -> Callable:
    def respond(handler, server):
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def redirect_to(location: str, status: int = 302) -> Callable:
    return reply(status, body=SECRET + b" redirect body", headers={"Location": location})


def drip(*, phase: str, every_s: float = 0.2, for_s: float = 15.0) -> Callable:
    """One byte every `every_s`: in the body, or in the headers (before they are complete)."""

    def respond(handler, server):
        end = time.monotonic() + for_s
        if phase == "headers":
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            trickle = b"X-Slow: " + b"a" * 10_000
        else:
            handler.send_response(200)
            handler.send_header("Content-Length", "1000")  # under the byte cap
            handler.end_headers()
            trickle = (SECRET * 100)[:1000]
        for byte in trickle:
            if time.monotonic() > end or server.stop.is_set():
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            server.bytes_sent += 1
            time.sleep(every_s)

    return respond


def huge_body(*, total: int = 100 * 1024 * 1024, declare_length: bool = False) -> Callable:
    """100 MB of body, streamed until the client goes away; counts what got out."""

    def respond(handler, server):
        handler.send_response(200)
        if declare_length:
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Connection", "close")  # body ends when the socket closes
            handler.close_connection = True
        handler.end_headers()
        chunk = SECRET * (65536 // len(SECRET))
        while server.bytes_sent < total and not server.stop.is_set():
            handler.wfile.write(chunk)
            server.bytes_sent += len(chunk)

    return respond


class FakeDNS:
    """Answers chosen names at the resolver seam (socket.getaddrinfo); others resolve for real.
    `answers[name]` is a list of addresses, or a callable of the call number (1, 2, ...)."""

    def __init__(self, monkeypatch):
        self.answers: dict[str, list[str] | Callable[[int], list[str]]] = {}
        self.calls: dict[str, int] = {}
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.calls[name] = self.calls.get(name, 0) + 1
            answer = self.answers[name]
            addresses = answer(self.calls[name]) if callable(answer) else answer
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (ip, int(port or 0), 0, 0) if ":" in ip else (ip, int(port or 0)),
                )
                for ip in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
