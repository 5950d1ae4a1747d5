"""Loads the vendor guide's bodies (kept in test_models_guide.py) once, for every unit test module.

The tests run with --import-mode=importlib, so test modules cannot import each other; the bodies
are loaded by path and registered as ``_weseedo_guide_bodies``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "_weseedo_guide_bodies"

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).with_name("test_models_guide.py")
    )
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
