"""Each check is registered with the slug, severity and mappings its catalog entry gives."""

from __future__ import annotations

import pytest

from auditor.checks import get_check
from auditor.model import Severity

CRIT, HIGH, MED, LOW, INFO = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)

# id: (slug, severity, CIS 7.0, CIS 5.0, AWS FSBP), transcribed from the catalog.
CATALOG: dict[str, tuple[str, Severity, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "ROOT-001": ("root-access-key", CRIT, ("2.4",), ("1.3",), ("IAM.4",)),
    "ROOT-002": ("root-mfa", CRIT, ("2.5",), ("1.4",), ("IAM.9",)),
    "ROOT-003": ("root-hardware-mfa", HIGH, ("2.6",), ("1.5",), ("IAM.6",)),
    "ROOT-004": ("root-recent-use", HIGH, ("2.7",), ("1.6",), ()),
    "ROOT-005": ("root-signing-cert", HIGH, (), (), ()),
    "PWD-001": ("password-policy-missing", MED, ("2.8", "2.9"), ("1.7", "1.8"), ("IAM.7",)),
    "PWD-002": ("password-min-length", MED, ("2.8",), ("1.7",), ("IAM.15",)),
    "PWD-003": ("password-reuse", MED, ("2.9",), ("1.8",), ("IAM.16",)),
    "PWD-004": ("password-complexity", LOW, (), (), ("IAM.11", "IAM.12", "IAM.13", "IAM.14")),
    "PWD-005": ("password-expiry", INFO, (), (), ("IAM.17",)),
    "USER-001": ("console-user-no-mfa", HIGH, ("2.10",), ("1.9",), ("IAM.5",)),
    "USER-002": ("user-no-mfa", LOW, (), (), ("IAM.19",)),
    "USER-003": ("console-password-unused", MED, ("2.11",), ("1.11",), ("IAM.22",)),
    "USER-004": ("dormant-user", LOW, (), (), ()),
    "USER-005": ("user-signing-cert", LOW, (), (), ()),
    "USER-006": ("console-user-with-keys", LOW, (), (), ()),
    "USER-007": ("workload-user", LOW, (), (), ()),
    "USER-008": ("phishing-resistant-mfa", INFO, (), (), ()),
    "KEY-001": ("access-key-unused", MED, ("2.11",), ("1.11",), ("IAM.22",)),
    "KEY-002": ("access-key-rotation", MED, ("2.12",), ("1.13",), ("IAM.3",)),
    "KEY-003": ("two-active-keys", LOW, (), ("1.12",), ()),
    "KEY-004": ("key-created-at-setup", LOW, (), ("1.10",), ()),
    "PERM-001": ("user-direct-policies", LOW, ("2.13",), ("1.14",), ("IAM.2",)),
    "PERM-002": ("full-admin-attached", HIGH, ("2.14",), ("1.15",), ("IAM.1",)),
    "PERM-009": ("cloudshell-full-access", MED, ("2.20",), ("1.21",), ("IAM.27",)),
    "PERM-010": ("attack-path-to-admin", HIGH, (), (), ()),
    "PERM-011": ("admin-equivalent-principal", INFO, (), (), ()),
    "ROLE-015": ("unused-role", LOW, (), (), ()),
    "ROLE-016": ("support-role-missing", LOW, ("2.15",), ("1.16",), ("IAM.18",)),
    "AA-001": ("access-analyzer-disabled", MED, ("2.18",), ("1.19",), ("IAM.28",)),
    "CERT-001": ("expired-server-cert", MED, ("2.17",), ("1.18",), ("IAM.26",)),
    "CERT-002": ("expiring-server-cert", LOW, (), (), ()),
    "FED-001": ("users-not-federated", INFO, ("2.19",), ("1.20",), ()),
}


@pytest.mark.parametrize("check_id", sorted(CATALOG))
def test_check_is_registered_as_catalogued(check_id: str) -> None:
    found = get_check(check_id)
    assert found is not None, f"{check_id} is not registered"
    meta = found.meta
    slug, severity, cis_7, cis_5, fsbp = CATALOG[check_id]
    assert meta.slug == slug
    assert meta.severity is severity
    assert (meta.compliance.cis_7, meta.compliance.cis_5, meta.compliance.fsbp) == (
        cis_7,
        cis_5,
        fsbp,
    )
    for text in (meta.title, meta.rationale, meta.remediation, meta.remediation_cli):
        assert text.strip(), f"{check_id} has an empty metadata text"
    assert meta.needs, f"{check_id} declares no sources"
    assert meta.references and all(r.startswith("https://") for r in meta.references)
    assert get_check(slug) is found


@pytest.mark.parametrize("check_id", sorted(CATALOG))
def test_rationale_is_two_or_three_sentences(check_id: str) -> None:
    found = get_check(check_id)
    assert found is not None
    sentences = [s for s in found.meta.rationale.split(". ") if s.strip()]
    assert 2 <= len(sentences) <= 3, found.meta.rationale


@pytest.mark.parametrize("check_id", sorted(CATALOG))
def test_remediation_cli_is_an_aws_cli_command(check_id: str) -> None:
    found = get_check(check_id)
    assert found is not None
    assert found.meta.remediation_cli.startswith("aws ")
