"""Benchmarks for weseedo-async: the SDK side by side with what users would write instead.

Run ``python -m benchmarks`` (full) or ``python -m benchmarks --quick``;
see ``benchmarks/README.md``.
"""
