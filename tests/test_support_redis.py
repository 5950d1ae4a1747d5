"""The redis-server fixture itself: it serves, and survives a SIGKILL and restart with its data."""

from __future__ import annotations

import socket

from .support.redis_server import RedisServer


def command(server: RedisServer, *parts: str) -> bytes:
    payload = f"*{len(parts)}\r\n" + "".join(f"${len(p)}\r\n{p}\r\n" for p in parts)
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(payload.encode())
        return sock.recv(64)


def test_the_server_keeps_acknowledged_writes_through_a_crash(redis_server: RedisServer) -> None:
    assert command(redis_server, "SET", "k", "v") == b"+OK\r\n"
    redis_server.kill()
    assert not redis_server.ping()
    redis_server.start()
    assert command(redis_server, "GET", "k") == b"$1\r\nv\r\n"  # AOF, fsync always
