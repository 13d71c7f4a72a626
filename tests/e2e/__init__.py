"""End-to-end tests: the installed CLI against a local moto server."""
