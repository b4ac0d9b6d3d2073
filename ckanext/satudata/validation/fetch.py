"""The SSRF-safe fetcher: downloads an http(s) resource or Table Schema URL
for the validation job, within a size and a time limit.

Every hop is resolved once and each of its addresses must be public
(loopback, private, link-local, multicast, reserved and the like are
blocked, also inside IPv4-mapped, 6to4 and NAT64 addresses); the connection
goes to one of those exact addresses, so DNS rebinding cannot redirect it.
Standard library only: no CKAN, no frictionless.
"""
from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
from typing import Any, Iterable
from urllib.parse import quote, urljoin, urlsplit

__all__ = ["FetchError", "fetch_remote"]


class FetchError(Exception):
    """A download was refused or failed.

    ``code`` is one of: bad_url, bad_scheme, blocked_address, dns_error,
    connection_error, timeout, too_large, http_error (``status`` set),
    too_many_redirects, io_error. ``str(error)`` is the message alone.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


_MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_USER_AGENT = "ckanext-satudata-validator/1.0"
_URL_SAFE = "/%:@!$&'()*+,;=-._~"  # keep existing escapes and reserved characters


def fetch_remote(url: str, dest_path: str | os.PathLike, *, max_bytes: int,
                 timeout: float, allow_private: bool = False) -> dict:
    """Download an http(s) URL to ``dest_path``; return path, bytes, content_type.

    Every hop (redirects are followed manually, at most 5) is resolved once,
    all its addresses must be public, and the connection goes to one of
    those exact addresses (the peer address is checked again after
    connecting), so DNS rebinding cannot redirect it. ``timeout`` bounds the
    whole download. Proxy environment variables are deliberately ignored.
    ``allow_private`` disables the address checks (tests only).
    Raises ``FetchError``; a partial file is removed.
    """
    dest_path = os.fspath(dest_path)
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(_MAX_REDIRECTS + 1):
        connection, response = _request(current, deadline, allow_private)
        try:
            status = response.status
            if status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchError("http_error", f"HTTP {status} without Location", status=status)
                current = urljoin(current, location.strip())
                continue
            if not 200 <= status < 300:
                raise FetchError(
                    "http_error", f"HTTP {status} {response.reason}".strip(), status=status
                )
            size = _save_body(response, connection, dest_path, max_bytes, deadline)
            return {
                "path": dest_path,
                "bytes": size,
                "content_type": response.getheader("Content-Type"),
                "url": current,
            }
        finally:
            response.close()
            connection.close()
    raise FetchError("too_many_redirects", f"More than {_MAX_REDIRECTS} redirects.")


class _Watchdog:
    """Shuts the socket down at the deadline.

    Socket timeouts only bound each single read; a server trickling its
    headers or body byte by byte would otherwise exceed the total limit.
    """

    def __init__(self, connection: http.client.HTTPConnection, deadline: float):
        self._connection = connection
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        sock = self._connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timeout", "The download took too long.")
    return left


def _request(url: str, deadline: float, allow_private: bool):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("bad_url", f"Invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("bad_scheme", f'Only http and https URLs are allowed, not "{scheme}".')
    host = parts.hostname
    if not host:
        raise FetchError("bad_url", "The URL has no host.")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError("bad_url", f'Invalid host name "{host}".') from None
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port, deadline, allow_private)

    options = {"addresses": addresses, "allow_private": allow_private,
               "timeout": _remaining(deadline)}
    if scheme == "https":
        connection = _PinnedHTTPSConnection(host, port, context=ssl.create_default_context(), **options)
    else:
        connection = _PinnedHTTPConnection(host, port, **options)
    connection.watchdog = _Watchdog(connection, deadline)
    target = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.putheader("Accept-Encoding", "identity")
        connection.putheader("User-Agent", _USER_AGENT)
        connection.putheader("Accept", "*/*")
        connection.endheaders()
        return connection, connection.getresponse()
    except FetchError:
        connection.close()
        raise
    except http.client.InvalidURL as exc:
        connection.close()
        raise FetchError("bad_url", f"Invalid URL: {exc}") from None
    except Exception as exc:
        connection.close()
        raise _network_error(exc, deadline) from None


def _network_error(exc: BaseException, deadline: float) -> FetchError:
    if isinstance(exc, (socket.timeout, TimeoutError)) or time.monotonic() >= deadline:
        return FetchError("timeout", "The server did not answer in time.")
    if isinstance(exc, ssl.SSLError):
        return FetchError("connection_error", f"TLS error: {exc}")
    return FetchError("connection_error", f"Connection failed: {exc}")


def _resolve(host: str, port: int, deadline: float, allow_private: bool) -> list[str]:
    """Resolve ``host`` once (bounded by the deadline) and vet every address."""
    result: dict[str, Any] = {}

    def lookup() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(_remaining(deadline))
    if worker.is_alive():
        raise FetchError("timeout", f'Resolving "{host}" took too long.')
    if "error" in result:
        raise FetchError("dns_error", f'Cannot resolve "{host}": {result["error"]}')
    addresses: list[str] = []
    for family, _type, _proto, _name, sockaddr in result["infos"]:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise FetchError("dns_error", f'"{host}" has no usable address.')
    if not allow_private:
        for address in addresses:
            reason = _blocked_reason(address)
            if reason:
                raise FetchError(
                    "blocked_address", f'"{host}" resolves to a {reason} address ({address}).'
                )
    return addresses


def _blocked_reason(address: str) -> str | None:
    """Why an address must not be fetched from, or None if it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "invalid"
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(ip.packed[-4:])
        if embedded is not None:
            ip = embedded
    for attribute, label in (
        ("is_loopback", "loopback"),
        ("is_unspecified", "unspecified"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
        ("is_site_local", "site-local"),  # fec0::/10: deprecated, yet is_global in Python 3.11
    ):
        if getattr(ip, attribute, False):
            return label
    if not ip.is_global:
        return "non-public"
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _connect_pinned(addresses: Iterable[str], port: int, timeout: float,
                    allow_private: bool) -> socket.socket:
    last: BaseException | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
            continue
        peer = sock.getpeername()[0]
        if not allow_private and _blocked_reason(peer):
            sock.close()
            raise FetchError("blocked_address", f"Connected to a non-public address ({peer}).")
        return sock
    raise last or OSError("no address to connect to")


class _Pinned:
    """Connects to pre-resolved, vetted addresses; the Host header, TLS SNI
    and certificate checks still use the URL's host name."""

    watchdog: _Watchdog | None = None

    def _pinned_socket(self) -> socket.socket:
        return _connect_pinned(self._addresses, self.port, self.timeout, self._allow_private)

    def close(self):
        if self.watchdog is not None:
            self.watchdog.cancel()
        super().close()


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def __init__(self, host, port, *, addresses, allow_private, timeout):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self._allow_private = allow_private

    def connect(self):
        self.sock = self._pinned_socket()


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host, port, *, addresses, allow_private, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses
        self._allow_private = allow_private

    def connect(self):
        sock = self._pinned_socket()
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _save_body(response, connection, dest_path: str, max_bytes: int, deadline: float) -> int:
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(
            "too_large", f"The file is {int(length)} bytes, more than the {max_bytes} allowed."
        )
    size = 0
    try:
        with open(dest_path, "wb") as out:
            while True:
                if connection.sock is not None:
                    connection.sock.settimeout(_remaining(deadline))
                else:
                    _remaining(deadline)
                chunk = response.read1(64 * 1024)  # returns what one read gives
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("too_large", f"The file is larger than {max_bytes} bytes.")
                out.write(chunk)
    except FetchError:
        _remove(dest_path)
        raise
    except OSError as exc:
        _remove(dest_path)
        if getattr(exc, "filename", None) == dest_path:
            raise FetchError("io_error", f"Cannot write the file: {exc}") from None
        raise _network_error(exc, deadline) from None
    except (http.client.HTTPException, ValueError) as exc:
        _remove(dest_path)
        if time.monotonic() >= deadline:
            raise FetchError("timeout", "The download took too long.") from None
        raise FetchError("connection_error", f"The download was interrupted: {exc!r}") from None
    return size


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
