"""Tests of the SSRF-safe fetcher, fetch_remote (no CKAN needed).

Run: .venv/bin/python -m pytest -p no:ckan -p no:ckan_fixtures -o addopts='' \
     tests/validation/test_fetch.py -q
All data files are generated in tmp_path.
"""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ckanext.satudata.validation import fetch as fetcher
from ckanext.satudata.validation.engine import validate_file
from ckanext.satudata.validation.fetch import FetchError, fetch_remote
from tests.validation.tables import ROWS, SCHEMA, check, csv_text


@pytest.fixture(autouse=True)
def _satudata_plugins():
    """No CKAN needed: override the package conftest's autouse plugin fixture
    so this module also runs with ``-p no:ckan``."""


class _Handler(BaseHTTPRequestHandler):
    target = ""  # where /to-target redirects

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        path = self.path
        if path == "/data.csv":
            body = csv_text(*ROWS).encode()
            self._send(200, body, [("Content-Type", "text/csv"), ("Content-Length", str(len(body)))])
        elif path == "/announced-big":
            self._send(200, b"x" * 100, [("Content-Length", "10000000")])
        elif path == "/streamed-big":  # HTTP/1.0, no Content-Length
            self._send(200)
            for _ in range(40):
                self.wfile.write(b"y" * 8192)
        elif path == "/slow":
            time.sleep(3)
            try:
                self._send(200, b"late", [("Content-Length", "4")])
            except OSError:
                pass  # the client gave up, as expected
        elif path == "/drip":
            self._send(200)
            try:
                for _ in range(30):
                    self.wfile.write(b"z")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        elif path == "/data%20kecamatan.csv?tahun=2023&q=a%20b":
            self._send(200, b"ok", [("Content-Length", "2")])
        elif path == "/redirect":
            self._send(302, headers=[("Location", "/data.csv")])
        elif path == "/loop":
            self._send(302, headers=[("Location", "/loop")])
        elif path == "/to-target":
            self._send(301, headers=[("Location", self.target)])
        else:
            self._send(404, b"not found", [("Content-Length", "9")])


def _serve(host):
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, handler


@pytest.fixture
def http_server():
    srv, handler = _serve("127.0.0.1")
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    srv.handler = handler
    yield srv
    srv.shutdown()
    srv.server_close()


def fetch(url, dest, **kwargs):
    options = {"max_bytes": 1_000_000, "timeout": 5, "allow_private": True}
    options.update(kwargs)
    return fetch_remote(url, str(dest), **options)


def test_fetch_ok_then_validate(http_server, tmp_path):
    dest = tmp_path / "d.csv"
    result = fetch(http_server.base + "/data.csv", dest)
    assert result["path"] == str(dest)
    assert result["bytes"] == dest.stat().st_size == len(csv_text(*ROWS).encode())
    assert result["content_type"] == "text/csv"
    assert check(validate_file(str(dest), table_schema=SCHEMA))["status"] == "success"


def test_fetch_follows_redirect(http_server, tmp_path):
    result = fetch(http_server.base + "/redirect", tmp_path / "d.csv")
    assert result["bytes"] > 0 and result["url"].endswith("/data.csv")


def test_fetch_quotes_unsafe_characters(http_server, tmp_path):
    result = fetch(http_server.base + "/data kecamatan.csv?tahun=2023&q=a%20b", tmp_path / "d")
    assert result["bytes"] == 2


def test_fetch_404(http_server, tmp_path):
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/missing", tmp_path / "d")
    assert (info.value.code, info.value.status) == ("http_error", 404)


@pytest.mark.parametrize("path,max_bytes", [("/announced-big", 1000), ("/streamed-big", 100_000)],
                         ids=["by-content-length", "while-streaming"])
def test_fetch_too_large(http_server, tmp_path, path, max_bytes):
    dest = tmp_path / "d"
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + path, dest, max_bytes=max_bytes)
    assert info.value.code == "too_large"
    assert not dest.exists()


def test_fetch_timeout_slow_server(http_server, tmp_path):
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/slow", tmp_path / "d", timeout=0.5)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 2


def test_fetch_total_time_limit_on_trickling_body(http_server, tmp_path):
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/drip", tmp_path / "d", timeout=1)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 2.5


def test_fetch_too_many_redirects(http_server, tmp_path):
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/loop", tmp_path / "d")
    assert info.value.code == "too_many_redirects"


def test_fetch_loopback_refused_without_allow_private(http_server, tmp_path):
    port = http_server.server_address[1]
    for url in (http_server.base + "/data.csv", f"http://localhost:{port}/data.csv",
                f"http://[::ffff:127.0.0.1]:{port}/data.csv"):
        with pytest.raises(FetchError) as info:
            fetch(url, tmp_path / "d", allow_private=False)
        assert info.value.code == "blocked_address", url
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.csv",
                                 "gopher://127.0.0.1/", "javascript:alert(1)"])
def test_fetch_bad_scheme(url, tmp_path):
    with pytest.raises(FetchError) as info:
        fetch_remote(url, str(tmp_path / "d"), max_bytes=10, timeout=1)
    assert info.value.code == "bad_scheme"


def test_fetch_any_private_address_in_dns_answer_is_refused(monkeypatch, tmp_path):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        assert host == "data.example.go.id"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(FetchError) as info:
        fetch_remote("http://data.example.go.id/x.csv", str(tmp_path / "d"),
                     max_bytes=10, timeout=2)
    assert info.value.code == "blocked_address"
    assert "10.1.2.3" in info.value.message


def test_fetch_redirect_hop_to_loopback_is_refused(http_server, tmp_path, monkeypatch):
    """Hop 1 (127.0.0.2, treated as public here) may not redirect to 127.0.0.1."""
    outer, outer_handler = _serve("127.0.0.2")  # all of 127.0.0.0/8 is loopback on Linux
    try:
        outer_handler.target = http_server.base + "/data.csv"
        real = fetcher._blocked_reason
        monkeypatch.setattr(fetcher, "_blocked_reason",
                            lambda ip: None if ip == "127.0.0.2" else real(ip))
        outer_url = f"http://127.0.0.2:{outer.server_address[1]}"
        # the first hop alone is fetchable under this policy...
        assert fetch(outer_url + "/data.csv", tmp_path / "a", allow_private=False)["bytes"] > 0
        # ...but its redirect to 127.0.0.1 is re-checked and refused
        with pytest.raises(FetchError) as info:
            fetch(outer_url + "/to-target", tmp_path / "b", allow_private=False)
        assert info.value.code == "blocked_address"
        assert not (tmp_path / "b").exists()
    finally:
        outer.shutdown()
        outer.server_close()


def test_fetch_https_verifies_the_certificate(tmp_path):
    """TLS still checks the certificate although we connect to a pinned IP."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    srv, _ = _serve("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    try:
        with pytest.raises(FetchError) as info:
            fetch(f"https://localhost:{srv.server_address[1]}/data.csv", tmp_path / "d")
        assert info.value.code == "connection_error"
        assert "CERTIFICATE_VERIFY_FAILED" in info.value.message
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
    "fc00::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "2002:7f00:1::1",
    "64:ff9b::a00:1", "fe80::1%eth0", "fec0::1", "feff::1",
])
def test_blocked_addresses(address):
    assert fetcher._blocked_reason(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "103.10.20.30", "2001:4860:4860::8888"])
def test_public_addresses(address):
    assert fetcher._blocked_reason(address) is None


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.1"])
def test_fetch_refuses_numeric_forms_of_loopback(http_server, tmp_path, host):
    """Decimal, octal and hex spellings of 127.0.0.1 resolve to loopback and are refused."""
    port = http_server.server_address[1]
    with pytest.raises(FetchError) as info:
        fetch(f"http://{host}:{port}/data.csv", tmp_path / "d", allow_private=False)
    assert info.value.code == "blocked_address"
    assert "127.0.0.1" in info.value.message
    assert not (tmp_path / "d").exists()
