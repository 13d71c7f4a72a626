"""Benchmarks of iam-auditor against a local moto server (see README.md)."""
