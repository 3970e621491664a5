"""The H1 pool (``batch run``'s HTTP/1.1 client) against a scripted asyncio server:
what it sends, the bodies it reads (length, chunked, to close, gzip), connections reused
and dropped, and every failure as the httpx exception the error map knows."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from o4cli.core.http.h1 import H1Pool

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: req_1\r\nContent-Length: 11\r\n\r\n{"ok":true}'


class Close(bytes):
    """An answer after which the server closes the connection."""


class Server:
    """Reads one request at a time per connection and writes what ``answer`` returns
    (None: close the connection without answering; ``Close``: close after it)."""

    def __init__(self, answer: Callable[[int], bytes | None]) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0
                )
                self.requests.append(head + await reader.readexactly(length))
                reply = self.answer(len(self.requests))
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if isinstance(reply, Close):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        writer.close()


def run(answer: Callable[[int], bytes | None], requests: int = 1, *, timeout: float = 5.0, **kw):
    """Start a server, POST ``requests`` times in sequence; (replies or the exception, server)."""
    server = Server(answer)

    async def main():
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        pool = H1Pool(f"http://127.0.0.1:{port}/v1/", {"Authorization": "Bearer sk-x"}, timeout=timeout, connect_timeout=5, **kw)
        out = []
        try:
            async with pool:
                for _ in range(requests):
                    out.append(await pool.post("chat/completions", b'{"a":1}'))
        except httpx.TransportError as exc:
            out.append(exc)
        finally:
            srv.close()
        return out

    return asyncio.run(main()), server


def test_a_request_is_one_complete_http11_post():
    (reply,), server = run(lambda n: OK)
    assert reply.status == 200 and reply.json() == {"ok": True} and reply.headers["x-request-id"] == "req_1"
    assert reply.url.endswith("/v1/chat/completions")
    head, body = server.requests[0].split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/chat/completions HTTP/1.1"
    assert {"Authorization: Bearer sk-x", "Content-Type: application/json", "Content-Length: 7"} <= set(lines)
    assert any(line.startswith("Host: 127.0.0.1:") for line in lines) and body == b'{"a":1}'


def test_a_kept_alive_connection_is_reused():
    replies, server = run(lambda n: OK, requests=3)
    assert [r.status for r in replies] == [200, 200, 200] and server.connections == 1


def test_connection_close_means_a_new_connection():
    close = OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length")
    replies, server = run(lambda n: close, requests=2)
    assert [r.status for r in replies] == [200, 200] and server.connections == 2


def test_chunked_and_gzip_bodies_are_decoded():
    data = gzip.compress(b'{"answer": "' + b"x" * 5000 + b'"}')
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(data[i : i + 1000]), data[i : i + 1000]) for i in range(0, len(data), 1000))
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + chunks + b"0\r\n\r\n"
    replies, server = run(lambda n: answer, requests=2)
    assert [len(r.json()["answer"]) for r in replies] == [5000, 5000] and server.connections == 1


def test_a_body_without_length_is_read_to_the_close():
    replies, server = run(lambda n: Close(b"HTTP/1.1 500 Oops\r\n\r\nserver trouble") if n == 1 else OK, requests=2)
    assert replies[0].status == 500 and replies[0].content == b"server trouble"
    assert replies[1].status == 200 and server.connections == 2
    assert replies[0].response().status_code == 500  # as httpx, for the error map


def test_an_idle_connection_the_server_closed_is_not_reused():
    async def main():
        server = Server(lambda n: OK)
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        async with H1Pool(f"http://127.0.0.1:{port}/v1", {}, timeout=5, connect_timeout=5) as pool:
            await pool.post("responses", b"{}")
            (conn,) = pool._idle
            server.writers[0].close()  # the server drops the idle connection
            for _ in range(200):  # until the loop has seen the EOF
                if conn.reader.at_eof():
                    break
                await asyncio.sleep(0.005)
            reply = await pool.post("responses", b"{}")
        srv.close()
        return reply, server

    reply, server = asyncio.run(main())
    assert reply.status == 200 and server.connections == 2


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (lambda n: None, httpx.RemoteProtocolError, "closed the connection without answering"),
        (lambda n: Close(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"), httpx.RemoteProtocolError, "mid-answer"),
        (lambda n: b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError, "not an HTTP/1.1 answer"),
        (lambda n: b"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n", httpx.RemoteProtocolError, "malformed header"),
        (lambda n: b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", httpx.RemoteProtocolError, "not valid gzip"),
    ],
    ids=["no-answer", "cut-body", "not-http", "bad-header", "bad-gzip"],
)
def test_a_broken_answer_is_an_httpx_transport_error(answer, error, text):
    (exc,), _ = run(answer)
    assert isinstance(exc, error) and text in str(exc)


def test_no_answer_in_time_is_a_read_timeout():
    (exc,), _ = run(lambda n: b"", timeout=0.05)  # the server keeps the connection, says nothing
    assert isinstance(exc, httpx.ReadTimeout)


def test_nobody_listening_is_a_connect_error():
    async def main():
        srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        srv.close()
        await srv.wait_closed()
        try:
            await H1Pool(f"http://127.0.0.1:{port}/v1", {}, timeout=1, connect_timeout=1).post("responses", b"{}")
        except httpx.TransportError as exc:
            return exc

    assert isinstance(asyncio.run(main()), httpx.ConnectError)


def test_a_header_value_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="Authorization"):
        H1Pool("http://127.0.0.1:1/v1", {"Authorization": "Bearer sk-x\r\nX-Evil: 1"}, timeout=1, connect_timeout=1)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a test certificate")
def test_https_verifies_the_certificate(tmp_path: Path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def main(ctx):
        server = Server(lambda n: OK)
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=server_ctx)
        port = srv.sockets[0].getsockname()[1]
        try:
            async with H1Pool(f"https://localhost:{port}/v1", {}, timeout=5, connect_timeout=5, ssl_context=ctx) as pool:
                return await pool.post("responses", b"{}")
        except httpx.TransportError as exc:
            return exc
        finally:
            srv.close()

    assert asyncio.run(main(trusting)).status == 200
    refused = asyncio.run(main(ssl.create_default_context()))  # the system's CAs do not know it
    assert isinstance(refused, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(refused)
