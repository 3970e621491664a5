"""The commands' HTTP transport (httpx over ``http.client``) against a scripted server in a
thread: kept-alive connections, streamed uploads, and failures as httpx's exceptions."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable

import httpx
import pytest

from o4cli.core.http.client import StdlibTransport

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"


class Server:
    """Answers each request with ``answer(n)`` (None: close without answering; b"": stay silent)."""

    def __init__(self, answer: Callable[[int], bytes | None]) -> None:
        self.answer, self.requests, self.connections = answer, [], 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        f = conn.makefile("rb")
        try:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = f.readline()
                    if not line:
                        return
                    head += line
                body = b""
                lower = head.lower()
                if b"transfer-encoding: chunked" in lower:
                    while (size := int(f.readline().strip(), 16)) > 0:
                        body += f.read(size)
                        f.readline()
                    f.readline()
                elif b"content-length:" in lower:
                    n = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
                    body = f.read(n)
                self.requests.append((head, body))
                reply = self.answer(len(self.requests))
                if reply is None:
                    return
                conn.sendall(reply)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def serve():
    servers = []

    def make(answer):
        servers.append(Server(answer))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def client(server: Server, timeout: float = 5.0) -> httpx.Client:
    transport = StdlibTransport(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}/v1/", transport=transport, timeout=timeout)


def test_requests_reuse_one_kept_alive_connection(serve):
    server = serve(lambda n: OK)
    with client(server) as c:
        assert [c.post("responses", json={"n": i}).json() for i in range(3)] == [{"ok": True}] * 3
    assert server.connections == 1
    head, body = server.requests[0]
    assert head.startswith(b"POST /v1/responses HTTP/1.1\r\n") and body == b'{"n":0}'
    assert b"\r\nhost: 127.0.0.1:" in head.lower()


def test_a_connection_the_server_closed_while_idle_is_replaced(serve):
    import select

    server = serve(lambda n: OK)
    transport = StdlibTransport(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}/v1/", transport=transport) as c:
        c.get("models")
        server.conns[0].shutdown(socket.SHUT_RDWR)  # the server drops the idle connection
        (idle,) = transport._idle.values()
        assert select.select([idle.sock], [], [], 5)[0]  # its end has reached the client
        assert c.get("models").status_code == 200
    assert server.connections == 2


def test_a_streamed_upload_arrives_whole(serve):
    server = serve(lambda n: OK)
    with client(server) as c:
        assert c.post("files", content=(b"part%d;" % i for i in range(3))).status_code == 200
    assert server.requests[0][1] == b"part0;part1;part2;"


def test_a_streamed_answer_is_read_as_it_comes(serve):
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (b"data: 1\n\n", b"data: 2\n\n")) + b"0\r\n\r\n"
    server = serve(lambda n: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
    with client(server) as c, c.stream("POST", "responses", json={}) as r:
        assert list(r.iter_lines()) == ["data: 1", "", "data: 2", ""]
        assert r.extensions["reason_phrase"] == b"OK"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda n: None, httpx.RemoteProtocolError),  # closed without answering
        (lambda n: b"not http at all\r\n\r\n", httpx.RemoteProtocolError),
        (lambda n: b"", httpx.ReadTimeout),  # silent
    ],
    ids=["no-answer", "not-http", "silent"],
)
def test_a_failed_answer_is_an_httpx_error(serve, answer, error):
    server = serve(answer)
    with client(server, timeout=0.2) as c, pytest.raises(error):
        c.get("models")


def test_nobody_listening_is_a_connect_error():
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    transport = StdlibTransport(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/", transport=transport) as c, pytest.raises(httpx.ConnectError):
        c.get("models")


def test_tls_is_loaded_only_for_https(tmp_path):
    """An http base URL gets a context that loads no CA bundle and trusts no certificate (a
    request that went to an https URL would fail, not go unverified); https gets certifi's."""
    from o4cli.core.config import Settings
    from o4cli.core.http.client import tls

    def ctx(url):
        return tls(Settings(profile="p", config_path=tmp_path / "c", data_dir=tmp_path, base_url=url))

    plain = ctx("http://127.0.0.1:8080/v1")
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert ctx("https://api.openai.com/v1").cert_store_stats()["x509_ca"] > 50
