"""``run_audit``'s garbage-collector policy: relaxed while audits run, restored after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import factories
import pytest

import auditor.audit
from auditor.audit import AUDIT_GC_THRESHOLDS, relaxed_gc, run_audit
from auditor.config import Settings
from auditor.model import Report


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """A known starting point below the audit's thresholds, put back after the test."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*saved)


def test_thresholds_are_raised_inside_and_restored_after(thresholds: tuple[int, ...]) -> None:
    with relaxed_gc():
        assert gc.get_threshold() == AUDIT_GC_THRESHOLDS
    assert gc.get_threshold() == thresholds


def test_thresholds_are_restored_when_the_audit_fails(thresholds: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="needs a boto3 session or a snapshot"):
        run_audit(Settings())
    assert gc.get_threshold() == thresholds


def test_higher_thresholds_are_kept(thresholds: tuple[int, ...]) -> None:
    gc.set_threshold(50_000, 5, 100)
    with relaxed_gc():
        assert gc.get_threshold() == (50_000, AUDIT_GC_THRESHOLDS[1], 100)
    assert gc.get_threshold() == (50_000, 5, 100)


def test_overlapping_audits_restore_once_the_last_ends(thresholds: tuple[int, ...]) -> None:
    """The organization runner audits accounts in threads whose audits overlap."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    # The timeouts only end a wait that the code under test broke; a loaded machine's slow
    # thread start must never look like one.
    patience = 60
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with relaxed_gc():
            first_in.set()
            second_in.wait(patience)
        first_out.set()

    def second() -> None:
        first_in.wait(patience)
        with relaxed_gc():
            second_in.set()
            first_out.wait(patience)
            seen.append(gc.get_threshold())  # the first has ended: still relaxed

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(2 * patience)

    assert seen == [AUDIT_GC_THRESHOLDS]
    assert gc.get_threshold() == thresholds


def test_an_audit_runs_relaxed(
    thresholds: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, int]] = []
    real = auditor.audit.analyze

    def analyze(*args: Any, **kwargs: Any) -> Report:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(auditor.audit, "analyze", analyze)

    result = run_audit(Settings(), snapshot=factories.snapshot(users=[factories.user("alice")]))

    assert result.report.findings
    assert seen == [AUDIT_GC_THRESHOLDS]
    assert gc.get_threshold() == thresholds
