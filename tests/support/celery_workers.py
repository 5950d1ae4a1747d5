"""Real Celery worker processes for the tests: ``celery -A weseedo_async.celery worker``.

Each worker is started in a session of its own, so :meth:`CeleryWorker.kill` (SIGKILL to the
whole process group) is a machine losing the worker, pool children included. One shard at a time
per worker (``--pool=solo``): the machine has two cores shared with other work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["CeleryWorker", "worker_env"]


def worker_env(sandbox: object, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker (or of the CLI) for ``sandbox`` and ``redis_url``: only the
    ``WESEEDO_*`` variables the test means, short timeouts so a death costs seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
    env |= {
        "WESEEDO_CLIENT_ID": sandbox.client_id,  # type: ignore[attr-defined]
        "WESEEDO_CLIENT_SECRET": sandbox.client_secret,  # type: ignore[attr-defined]
        "WESEEDO_BASE_URL": sandbox.base_url,  # type: ignore[attr-defined]
        "WESEEDO_TOKEN_URL": sandbox.token_url,  # type: ignore[attr-defined]
        "WESEEDO_REDIS_URL": redis_url,
        # A shard of a dead worker is delivered again after this many seconds; an entity's
        # claim whose holder died is free after its TTL.
        "WESEEDO_CELERY_VISIBILITY_TIMEOUT": "6",
        "WESEEDO_CELERY_CLAIM_TTL": "3",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class CeleryWorker:
    """One ``celery worker`` process (and its process group)."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str, log: Path) -> None:
        self.proc = proc
        self.name = name
        self.log = log

    @classmethod
    async def start(cls, env: Mapping[str, str], name: str, log_dir: Path,
                    timeout: float = 60.0) -> CeleryWorker:
        log = log_dir / f"{name}.log"
        handle = log.open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "celery", "-A", "weseedo_async.celery", "worker",
            "--pool=solo", "--concurrency=1", "-n", f"{name}@%h", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
            env=dict(env), stdout=handle, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        worker = cls(proc, name, log)
        deadline = asyncio.get_running_loop().time() + timeout
        while b" ready." not in log.read_bytes():
            if proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
                worker.kill()
                raise RuntimeError(f"worker {name} did not start:\n{worker.output()[-3000:]}")
            await asyncio.sleep(0.1)
        return worker

    def output(self) -> str:
        return self.log.read_bytes().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no shutdown, no ack, no release."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                await asyncio.wait_for(self.proc.wait(), 20)
            except (ProcessLookupError, asyncio.TimeoutError):
                self.kill()
        await self.proc.wait()


async def start_workers(env: Mapping[str, str], n: int, log_dir: Path) -> list[CeleryWorker]:
    return list(await asyncio.gather(
        *(CeleryWorker.start(env, f"w{i}", log_dir) for i in range(n))))
