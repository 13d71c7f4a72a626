"""iam-auditor: a live AWS IAM account auditor.

It collects an account through a handful of read-only boto3 calls into a typed
``Snapshot``, judges the snapshot with pure check functions, scores the result and
renders reports (JSON, CSV, HTML) that a sink writes atomically.
"""

from __future__ import annotations

__version__ = "0.1.0"
