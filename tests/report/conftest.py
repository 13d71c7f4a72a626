"""Fixtures for the renderer tests: hand-made reports built by ``report_samples``."""

from __future__ import annotations

import pytest
import report_samples

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
