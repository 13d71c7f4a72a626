"""Fixtures for the renderer tests: hand-made reports built by ``report_samples``, and the
demo account's report for comparing a renderer with its whole-file reference."""

from __future__ import annotations

import pytest
import report_samples

from auditor.audit import run_audit
from auditor.config import Settings
from auditor.demo.account import demo_session
from auditor.model import Report


@pytest.fixture
def make_finding() -> report_samples.MakeFinding:
    return report_samples.make_finding


@pytest.fixture
def make_report() -> report_samples.MakeReport:
    return report_samples.make_report


@pytest.fixture
def sample_report() -> Report:
    return report_samples.sample_report()


@pytest.fixture
def checks_report() -> Report:
    return report_samples.checks_report()


@pytest.fixture
def complete_report() -> Report:
    return report_samples.complete_report()


@pytest.fixture
def hostile_report() -> Report:
    return report_samples.hostile_report()


@pytest.fixture(scope="session")
def demo_report() -> Report:
    """The demo account's report (``iam-auditor demo``), audited once per test process."""
    with demo_session() as session:
        return run_audit(Settings(), session=session).report
