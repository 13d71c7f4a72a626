"""Tests of the moto-side helpers in auditor.testing."""
