"""The commands' HTTP clients over ``http.client`` (httpx's ``StdlibTransport`` and the
``LiteClient`` of plain JSON requests) against a scripted server in a thread: kept-alive
connections shared by both, streamed uploads, and failures as httpx's exceptions or
``TransportFailure``s of the same names."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable

import httpx
import pytest

from o4cli.core.http.client import StdlibTransport
from o4cli.core.http.lite import Connections, LiteClient, TransportFailure

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


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
                if isinstance(reply, tuple):  # (bytes, "close"): answer, then hang up
                    conn.sendall(reply[0])
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
    transport = StdlibTransport(Connections(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)))
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
    transport = StdlibTransport(Connections(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)))
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}/v1/", transport=transport) as c:
        c.get("models")
        server.conns[0].shutdown(socket.SHUT_RDWR)  # the server drops the idle connection
        (idle,) = transport.connections._idle.values()
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
    transport = StdlibTransport(Connections(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)))
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{port}/", transport=transport) as c,
        pytest.raises(httpx.ConnectError),
    ):
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


def lite(server_port: int, connections: Connections | None = None, timeout: float = 5.0, **kw) -> LiteClient:
    conns = connections or Connections(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    headers = {"Authorization": "Bearer k", "Accept": "application/json"}
    return LiteClient(
        f"http://127.0.0.1:{server_port}/v1/", headers, conns, timeout=timeout, connect_timeout=timeout, **kw
    )


def test_lite_sends_json_as_httpx_does_and_keeps_the_connection(serve):
    server = serve(lambda n: OK)
    c = lite(server.port, query={"api-version": "2025-04-01"})
    replies = [c.send("POST", "responses", {"input": "é", "n": i}) for i in range(2)]
    assert [(r.status_code, r.reason_phrase, r.is_success, r.content) for r in replies] == [
        (200, "OK", True, b'{"ok":true}')
    ] * 2
    assert replies[0].headers.get("Content-Type") == "application/json"  # any case
    assert server.connections == 1
    head, body = server.requests[0]
    assert head.startswith(b"POST /v1/responses?api-version=2025-04-01 HTTP/1.1\r\n")
    assert body == '{"input":"é","n":0}'.encode()  # compact, UTF-8: httpx 0.28's json=
    lower = head.lower()
    assert b"content-type: application/json" in lower and b"content-length: %d" % len(body) in lower
    assert b"authorization: bearer k" in lower and b"\r\nhost: 127.0.0.1:" in lower
    assert c.send("POST", "responses/x/cancel").status_code == 200
    assert b"content-length: 0" in server.requests[-1][0].lower() and server.requests[-1][1] == b""


def test_lite_and_httpx_share_one_connection(serve):
    server = serve(lambda n: OK)
    conns = Connections(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}/v1/", transport=StdlibTransport(conns)) as c:
        assert lite(server.port, conns).send("GET", "models").is_success
        assert c.get("models").status_code == 200
        assert lite(server.port, conns).send("GET", "models").is_success
    assert server.connections == 1


def test_lite_reads_an_error_answer_whole(serve):
    answer = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nX-Request-Id: req_1\r\nContent-Length: 2\r\n\r\n{}"
    server = serve(lambda n: answer)
    r = lite(server.port).send("POST", "responses", {})
    assert (r.status_code, r.is_success, r.headers.get("retry-after"), r.headers.get("X-Request-Id")) == (
        429,
        False,
        "2",
        "req_1",
    )


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (lambda n: None, "RemoteProtocolError"),
        (lambda n: b"not http at all\r\n\r\n", "RemoteProtocolError"),
        (lambda n: b"", "ReadTimeout"),
    ],
    ids=["no-answer", "not-http", "silent"],
)
def test_a_failed_answer_is_a_transport_failure_named_as_httpx_names_it(serve, answer, kind):
    server = serve(answer)
    with pytest.raises(TransportFailure) as caught:
        lite(server.port, timeout=0.2).send("GET", "models")
    assert caught.value.kind == kind and caught.value.timeout == (kind == "ReadTimeout")


def test_lite_nobody_listening_is_a_connect_error():
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(TransportFailure) as caught:
        lite(port).send("GET", "models")
    assert caught.value.kind == "ConnectError"


def test_a_base_url_lite_cannot_take_is_left_to_httpx(tmp_path):
    from o4cli.core.config import Settings
    from o4cli.core.http.lite import lite_client

    def settings(url):
        return Settings(profile="p", config_path=tmp_path / "c", data_dir=tmp_path, base_url=url, api_key="k")

    assert lite_client(settings("http://127.0.0.1:9/v1"), {}) is not None
    # httpx encodes these (IDNA 2008: Python's own codec would turn faß into fass, another host)
    assert lite_client(settings("https://faß.example/v1"), {}) is None
    assert lite_client(settings("http://127.0.0.1:9/vé1"), {}) is None
    assert lite_client(settings("ftp://example.com/v1"), {}) is None  # httpx says why
    assert lite_client(settings("http://127.0.0.1:9/v1"), {"HTTPS_PROXY": "http://proxy:3128"}) is None


def test_profile_headers_merge_by_name_whatever_their_case(serve):
    server = serve(lambda n: OK)
    conns = Connections(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    headers = {"Accept": "application/json", "content-type": "text/plain", "Host": "gateway.example", "X-A": "1", "x-a": "2"}
    c = LiteClient(f"http://127.0.0.1:{server.port}/v1/", headers, conns, timeout=5, connect_timeout=5)
    c.send("POST", "responses", {"n": 1})
    lines = server.requests[0][0].decode().lower().split("\r\n")
    names = [line.split(":")[0] for line in lines[1:] if line]
    assert names.count("content-type") == 1 and "content-type: application/json" in lines
    assert names.count("host") == 1 and "host: gateway.example" in lines
    assert names.count("x-a") == 1 and "x-a: 2" in lines


def test_a_profile_asking_for_compression_goes_to_httpx(tmp_path):
    import dataclasses

    from o4cli.core.config import Settings
    from o4cli.core.http.lite import lite_client

    s = Settings(profile="p", config_path=tmp_path / "c", data_dir=tmp_path, base_url="http://127.0.0.1:9/v1", api_key="k")
    assert lite_client(s, {}) is not None
    assert lite_client(dataclasses.replace(s, headers={"accept-encoding": "gzip"}), {}) is None


CUT = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\""


def test_an_answer_cut_before_its_length_is_a_protocol_error_on_both_clients(serve):
    """Never a short body taken for the whole: a download would keep a cut file."""
    server = serve(lambda n: (CUT, "close"))  # the cut answer, then the connection closed
    with pytest.raises(TransportFailure) as caught:
        lite(server.port).send("GET", "files/x/content")
    assert caught.value.kind == "RemoteProtocolError"
    with client(server) as c, pytest.raises(httpx.RemoteProtocolError), c.stream("GET", "files/x/content") as r:
        r.read()
