"""iam-auditor: a live AWS IAM account auditor.

Collects an account through a handful of read-only boto3 calls into a typed ``Snapshot``,
judges it with pure check functions and renders reports that a sink writes atomically.
"""

from __future__ import annotations

__version__ = "0.1.0"
