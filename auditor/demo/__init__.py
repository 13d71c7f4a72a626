"""``iam-auditor demo``: an account built in an in-process moto, and the moto helpers it needs.

Tests and benchmarks build their accounts with the same helpers. Nothing here is in the
Lambda zip (deploy/package.py leaves the package out), and moto, the ``demo`` extra, is
only imported where used.
"""

from __future__ import annotations
