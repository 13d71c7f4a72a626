"""Local AWS endpoints for the tests and benchmarks: moto over HTTP and a fault proxy.

Not part of the shipped package: it lives beside ``auditor/`` and is imported from the
repository root (pytest's ``pythonpath``, ``python -m benchmarks...``).
"""

from __future__ import annotations
