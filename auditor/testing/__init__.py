"""A local AWS account for tests, the demo and the scale benchmark, built on moto.

``moto_account`` shapes moto's in-process IAM backend where the API cannot (dates, root
state, large accounts); ``server`` runs moto and an Access Analyzer stub over HTTP so the
installed CLI can be audited end to end. moto is imported lazily: it is only in the
``demo`` and ``dev`` extras, and importing this package must not require it.
"""

from __future__ import annotations
