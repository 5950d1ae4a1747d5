"""The receiver under test in its own process: ``python -m benchmarks._webhook_receiver [--floor]``.

``webhook_app`` with the default in-memory dedupe and an async handler that only counts, mounted
at ``/hooks/``; ``GET /stats`` answers ``{"handled": N, "keys": K}``. With ``--floor``, a bare
aiohttp handler mounted the same way instead (reads the body, answers 200, counts): what the machine
and aiohttp cost without any of the receiver's work. Prints the port once listening; stops on
SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from weseedo_async.webhooks import Event, MemoryDedupe, webhook_app

SECRET = "bench-secret-0123456789abcdef"


async def main(floor: bool) -> None:
    handled = 0
    store = MemoryDedupe()

    async def handle(event: Event) -> None:
        nonlocal handled
        handled += 1

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"handled": handled, "keys": len(store)})

    async def bare(request: web.Request) -> web.Response:
        nonlocal handled
        await request.read()
        handled += 1
        return web.Response(body=b'{"ok":true}', content_type="application/json")

    app = web.Application()
    app.router.add_get("/stats", stats)
    if floor:  # mounted the same way, so routing costs the same
        sub = web.Application()
        sub.router.add_post("/{secret}", bare)
        app.add_subapp("/hooks/", sub)
    else:
        app.add_subapp("/hooks/", webhook_app(handle, secret=SECRET, dedupe=store))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    print(runner.addresses[0][1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main("--floor" in sys.argv[1:]))
