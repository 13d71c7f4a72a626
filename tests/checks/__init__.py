"""Tests of the check catalog, one module per check module."""
