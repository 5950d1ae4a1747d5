"""Start and drive fleet worker processes (``fleet_worker.py``) from a test."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

__all__ = ["Worker", "start_workers"]

WORKER = str(Path(__file__).with_name("fleet_worker.py"))


class Worker:
    """One worker subprocess; :meth:`ask` sends a command and reads its JSON answer."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, config: dict[str, Any], timeout: float = 30.0) -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, WORKER, json.dumps(config), env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        worker = cls(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        if line.strip() != b"ready":
            err = await proc.stderr.read() if proc.stderr else b""
            raise RuntimeError(f"worker did not start: {line!r} {err.decode()[-2000:]}")
        return worker

    async def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()

    async def answer(self, timeout: float = 120.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            err = await self.proc.stderr.read() if self.proc.stderr else b""
            raise RuntimeError(f"worker exited: {err.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(line)
        return result

    async def ask(self, command: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
        await self.send(command)
        return await self.answer(timeout)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> str:
        """Quit (or kill); answers what the worker wrote on stderr."""
        if self.proc.returncode is None:
            try:
                await self.send({"do": "quit"})
                await asyncio.wait_for(self.proc.wait(), 15)
            except (BrokenPipeError, ConnectionResetError, asyncio.TimeoutError):
                self.kill()
                await self.proc.wait()
        err = await self.proc.stderr.read() if self.proc.stderr else b""
        return err.decode()


async def start_workers(n: int, config: dict[str, Any]) -> list[Worker]:
    return list(await asyncio.gather(*(Worker.start(config) for _ in range(n))))
