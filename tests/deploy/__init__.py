"""Tests of the deployment templates and the Lambda package."""
