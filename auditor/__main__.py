"""Entry point for ``python -m auditor``; the same CLI as the ``iam-auditor`` script."""

from __future__ import annotations

import sys

from auditor.cli import main

if __name__ == "__main__":
    sys.exit(main())
