"""The client-wide rate gate (see :mod:`._gate`), one idea per module:

- ``_gate.py``: :class:`RateGate` — cool-down, initial window, FIFO admission, feedback.
- ``_quota.py``: fixed-window quotas announced in headers.
- ``_learner.py``: the token-bucket model learned from accepted and refused requests (pure).
- ``_pacer.py``: send slots at a rate with bursts (a client-side copy of a token bucket).
- ``_drain.py``: the drain equations the learner solves (pure arithmetic).
- ``_fleet.py`` and ``_fleet_lua.py``: :class:`FleetGate` — the same gate shared by a fleet of
  processes through Redis; ``_leader.py``: its learner, run by one leader for the fleet.
"""

from ._fleet import FleetGate
from ._gate import RateGate

__all__ = ["FleetGate", "RateGate"]
