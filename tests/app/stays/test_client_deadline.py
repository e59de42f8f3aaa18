"""A server that trickles its body cannot hold the client past the read timeout."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from app.errors import StaysUnavailableError
from app.stays.client import StaysClient


def trickling_server(stop: threading.Event) -> int:
    """Serve one HTTP response on loopback whose body arrives a byte every 0.2 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    body = b"[" + b" " * 200 + b"]"

    def serve():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        for byte in body:
            if stop.is_set():
                break
            connection.sendall(bytes([byte]))
            time.sleep(0.2)
        connection.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.timeout(30)
def test_trickled_body_times_out():
    stop = threading.Event()
    port = trickling_server(stop)
    client = StaysClient(
        f"http://127.0.0.1:{port}/external/v1",
        "sandbox",
        "sandbox",
        read_timeout_seconds=1,
        max_attempts=1,
    )

    try:
        with pytest.raises(StaysUnavailableError) as raised:
            client.get_json("/content/listings")
    finally:
        stop.set()

    assert "did not respond to /content/listings" in str(raised.value)
