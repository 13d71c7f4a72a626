"""The registry-wide guard: every registered check describes itself completely.

Each check in ``all_checks()`` must carry complete metadata, match its catalog entry below
(slug, severity, framework mappings: what configs, mutes and compliance exports name), and
be exercised, PASS and FAIL, by a test module of ``tests/checks``. A new check that skips
any of this fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.checks import Check, all_checks, get_check
from auditor.model import ResourceType, Severity, Source

CRIT, HIGH, MED, LOW, INFO = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)
AREAS = ("ROOT", "PWD", "USER", "KEY", "PERM", "ROLE", "AA", "CERT", "FED")
# The modules that run every check at once, and so prove nothing about a single one.
REGISTRY_WIDE = frozenset({"test_registry.py", "test_error_details.py"})

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
    "PERM-003": ("admin-policy-unattached", LOW, (), (), ()),
    "PERM-004": ("service-wildcard", LOW, (), (), ("IAM.21",)),
    "PERM-005": ("allow-notaction", MED, (), (), ()),
    "PERM-006": ("passrole-assumerole-star", MED, (), (), ()),
    "PERM-007": ("privilege-escalation", HIGH, (), (), ()),
    "PERM-008": ("admin-without-mfa", CRIT, (), (), ()),
    "PERM-009": ("cloudshell-full-access", MED, ("2.20",), ("1.21",), ("IAM.27",)),
    "PERM-010": ("attack-path-to-admin", HIGH, (), (), ()),
    "PERM-011": ("admin-equivalent-principal", INFO, (), (), ()),
    "ROLE-001": ("trust-wildcard-principal", CRIT, (), (), ()),
    "ROLE-002": ("trust-wildcard-conditional", MED, (), (), ()),
    "ROLE-003": ("trust-unknown-account", MED, (), (), ()),
    "ROLE-004": ("trust-no-external-id", HIGH, (), (), ()),
    "ROLE-005": ("trust-service-confused-deputy", MED, (), (), ()),
    "ROLE-006": ("trust-oidc-no-sub", CRIT, (), (), ()),
    "ROLE-007": ("trust-oidc-broad-sub", MED, (), (), ()),
    "ROLE-008": ("trust-eks-irsa-sub", HIGH, (), (), ()),
    "ROLE-009": ("trust-cognito-no-aud", CRIT, (), (), ()),
    "ROLE-010": ("trust-saml-no-aud", LOW, (), (), ()),
    "ROLE-011": ("trust-notprincipal-ifexists", HIGH, (), (), ()),
    "ROLE-012": ("trust-account-root", INFO, (), (), ()),
    "ROLE-013": ("trust-orphaned-principal", LOW, (), (), ()),
    "ROLE-014": ("cross-account-privileged", HIGH, (), (), ()),
    "ROLE-015": ("unused-role", LOW, (), (), ()),
    "ROLE-016": ("support-role-missing", LOW, ("2.15",), ("1.16",), ("IAM.18",)),
    "AA-001": ("access-analyzer-disabled", MED, ("2.18",), ("1.19",), ("IAM.28",)),
    "CERT-001": ("expired-server-cert", MED, ("2.17",), ("1.18",), ("IAM.26",)),
    "CERT-002": ("expiring-server-cert", LOW, (), (), ()),
    "FED-001": ("users-not-federated", INFO, ("2.19",), ("1.20",), ()),
}

# The analyzer's flags, pinned here so that moving one is a visible decision.
JUDGES_TRUSTED_ACCOUNTS = frozenset({"ROLE-003", "ROLE-004", "ROLE-014"})
WEIGHS_PRIVILEGE = frozenset(
    {"PERM-002", "PERM-007", "PERM-008", "PERM-010", "PERM-011", "ROLE-012", "ROLE-014"}
)

CHECKS = all_checks()


def _test_modules() -> dict[str, str]:
    here = Path(__file__).parent
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(here.glob("test_*.py"))
        if p.name not in REGISTRY_WIDE
    }


MODULES = _test_modules()


def test_every_registered_check_is_catalogued() -> None:
    assert [c.meta.id for c in CHECKS] == list(CATALOG)


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.meta.id)
def test_metadata_is_complete(chk: Check) -> None:
    meta = chk.meta
    area, _, number = meta.id.partition("-")
    assert area in AREAS and re.fullmatch(r"[0-9]{3}", number), meta.id
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", meta.slug), meta.slug
    assert get_check(meta.id) is chk and get_check(meta.slug) is chk
    assert isinstance(meta.severity, Severity)
    assert isinstance(meta.resource_type, ResourceType)
    assert meta.needs and all(isinstance(s, Source) for s in meta.needs)
    for text in (meta.title, meta.rationale, meta.remediation, meta.remediation_cli):
        assert text == text.strip() and text, f"{meta.id} has an empty or padded text"
    sentences = [s for s in meta.rationale.split(". ") if s.strip()]
    assert 2 <= len(sentences) <= 3, meta.rationale
    assert meta.remediation_cli.startswith("aws ")
    assert meta.references and all(r.startswith("https://") for r in meta.references)
    assert len(set(meta.references)) == len(meta.references)


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.meta.id)
def test_check_is_registered_as_catalogued(chk: Check) -> None:
    meta = chk.meta
    slug, severity, cis_7, cis_5, fsbp = CATALOG[meta.id]
    assert meta.slug == slug
    assert meta.severity is severity
    assert (meta.compliance.cis_7, meta.compliance.cis_5, meta.compliance.fsbp) == (
        cis_7,
        cis_5,
        fsbp,
    )


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.meta.id)
def test_analyzer_flags(chk: Check) -> None:
    assert chk.judges_trusted_accounts is (chk.meta.id in JUDGES_TRUSTED_ACCOUNTS)
    assert chk.weighs_privilege is (chk.meta.id in WEIGHS_PRIVILEGE)


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.meta.id)
def test_check_has_its_own_pass_and_fail_tests(chk: Check) -> None:
    # Cheap and textual: the check's id is named in a module of its own that also expects
    # a PASS and a FAIL. The modules themselves hold those cases to the check's behaviour.
    texts = [t for t in MODULES.values() if chk.meta.id in t]
    assert texts, f"no module of tests/checks names {chk.meta.id}"
    assert any("Status.PASS" in t for t in texts), f"no PASS case for {chk.meta.id}"
    assert any("Status.FAIL" in t for t in texts), f"no FAIL case for {chk.meta.id}"
