"""The examples run as users run them, offline on the embedded sandbox."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_metrics_example_counts_what_the_hooks_report() -> None:
    prometheus = importlib.util.find_spec("prometheus_client")
    run = subprocess.run(  # noqa: S603 -- this interpreter, an example of this repository
        [sys.executable, str(EXAMPLES / "metrics.py")], capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    # Two injected 503s, retried: twelve creates on the wire, ten of them accepted.
    assert "'POST 503': 2" in out
    assert "'POST 200': 10" in out
    assert "retries: {'status 503': 2}; throttled: 2" in out
    assert ("prometheus: on" in out) == (prometheus is not None)
