"""The table of data sources: a row per ``Source``, each naming real fields and real actions."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from auditor.model import Source
from auditor.snapshot import Snapshot
from auditor.sources import OPTIONAL_SOURCES, SOURCES, SourceSpec

ACTION = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z]+$")
SNAPSHOT_FIELDS = frozenset(f.name for f in dataclasses.fields(Snapshot))


def problems(table: Mapping[Source, SourceSpec]) -> list[str]:
    """What is wrong with ``table``: each complaint names the source it is about."""
    found = [f"{s.value}: no row" for s in Source if s not in table]
    for source, spec in table.items():
        if spec.source is not source:
            found.append(f"{source.value}: row of {spec.source.value}")
        if spec.snapshot_field not in SNAPSHOT_FIELDS:
            found.append(f"{source.value}: no Snapshot field {spec.snapshot_field!r}")
        bad = [a for a in spec.actions if not ACTION.match(a)]
        found += [f"{source.value}: {a!r} is not service:Action" for a in bad]
        if spec.operation not in spec.actions:
            found.append(f"{source.value}: operation {spec.operation!r} is not among its actions")
    return found


def test_every_source_has_one_sound_row() -> None:
    assert problems(SOURCES) == []
    fields = [spec.snapshot_field for spec in SOURCES.values()]
    assert len(fields) == len(set(fields))  # no two sources fill the same field


def test_a_missing_or_broken_row_is_caught() -> None:
    good = SOURCES[Source.PASSWORD_POLICY]
    table = dict(SOURCES)
    del table[Source.ORGANIZATION]
    table[Source.PASSWORD_POLICY] = dataclasses.replace(
        good,
        operation="iam:GetAccountSummary",
        snapshot_field="password_polcy",
        actions=("iam:GetAccountPasswordPolicy", "Get"),
    )
    assert problems(table) == [
        "organization: no row",
        "password_policy: no Snapshot field 'password_polcy'",
        "password_policy: 'Get' is not service:Action",
        "password_policy: operation 'iam:GetAccountSummary' is not among its actions",
    ]


def test_optional_sources_are_the_rows_marked_optional() -> None:
    assert {s for s, spec in SOURCES.items() if spec.optional} == OPTIONAL_SOURCES
