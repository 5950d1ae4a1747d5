"""A receiver process for the multi-process tests: ``python receiver_proc.py REDIS_URL LOG [FAIL]``.

Serves ``webhook_app`` with a ``RedisDedupe`` on 127.0.0.1 at a free port, prints the port once
listening, and appends one line per handled event (``key type``) to LOG (O_APPEND: one write per
line, so two processes never interleave within a line). Events of type FAIL always raise.
Stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from aiohttp import web

from weseedo_async.webhooks import Event, RedisDedupe, webhook_app

SECRET = "test-secret-0123456789abcdef"


async def main(redis_url: str, log: str, fail: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    async def handle(event: Event) -> None:
        await asyncio.sleep(0.01)  # a handler that does some I/O: deliveries overlap
        if event.type == fail:
            raise RuntimeError("this process cannot handle it")
        os.write(fd, f"{event.key} {event.type} {os.getpid()}\n".encode())

    app = webhook_app(handle, secret=SECRET, dedupe=RedisDedupe(redis_url))
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    os.close(fd)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""))
