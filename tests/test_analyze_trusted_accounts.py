"""How the analyzer builds ``CheckContext.trusted_account_ids`` and treats the Organization.

Trusted is the config's ``trusted_account_ids`` plus the Organization's ACTIVE accounts when
they were read - nothing else. The Organization is an optional source: its failure is a
note, never an ERROR, never a gap of the report, never an incomplete audit.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from analyze_cases import ACCOUNT, AD, COLLECTED, TOOL, make_check

from auditor.analyze import analyze, needed_sources
from auditor.checks import CheckContext, all_checks
from auditor.config import Settings
from auditor.errors import ExitCode
from auditor.model import Gap, ResourceType, Result, Severity, Source, Status
from auditor.snapshot import Snapshot

MEMBER = "210987654321"
CONFIGURED = "111122223333"
DENIED = Gap(Source.ORGANIZATION, "organizations:ListAccounts", "AccessDeniedException", "no")


class Recorder:
    """A fake trust check that records the context it was given and passes."""

    def __init__(self, check_id: str) -> None:
        self.contexts: list[CheckContext] = []
        self.check = make_check(
            check_id, needs=(AD,), resource_type=ResourceType.ROLE, run=self.run
        )

    def run(self, snap: Snapshot, ctx: CheckContext) -> Iterable[Result]:
        self.contexts.append(ctx)
        return [Result(Status.PASS, f"arn:aws:iam::{ACCOUNT}:role/r", "r", "fine")]


def snapshot(
    sources: Iterable[Source] = (AD, Source.ORGANIZATION),
    members: frozenset[str] | None = None,
    gaps: Iterable[Gap] = (),
) -> Snapshot:
    return Snapshot(
        account_id=ACCOUNT,
        partition="aws",
        collected_at=COLLECTED,
        sources=frozenset(sources),
        gaps=tuple(gaps),
        organization_account_ids=members,
    )


def test_trusted_is_config_and_organization_members() -> None:
    rec = Recorder("ROLE-003")
    settings = Settings(trusted_account_ids=frozenset({CONFIGURED}))
    report = analyze(
        snapshot(members=frozenset({ACCOUNT, MEMBER})), settings, [rec.check], tool=TOOL
    )
    (ctx,) = rec.contexts
    assert ctx.trusted_account_ids == {CONFIGURED, MEMBER, ACCOUNT}
    assert ctx.thresholds == settings.thresholds
    assert report.notes == (
        "2 active account(s) of the AWS Organization count as trusted "
        "(organizations:ListAccounts), with trusted_account_ids",
    )


@pytest.mark.parametrize(
    "snap",
    [
        snapshot(sources=(AD,), gaps=(DENIED,)),
        snapshot(sources=(AD,)),
        snapshot(members=frozenset()),
    ],
    ids=["denied", "not-collected", "empty"],
)
def test_without_members_only_the_config_is_trusted(snap: Snapshot) -> None:
    rec = Recorder("ROLE-004")
    settings = Settings(trusted_account_ids=frozenset({CONFIGURED}))
    analyze(snap, settings, [rec.check], tool=TOOL)
    (ctx,) = rec.contexts
    assert ctx.trusted_account_ids == {CONFIGURED}


def test_a_denied_list_accounts_is_a_note_not_an_error() -> None:
    rec = Recorder("ROLE-003")
    other = Gap(Source.PASSWORD_POLICY, "iam:GetAccountPasswordPolicy", "AccessDenied", "no")
    report = analyze(
        snapshot(sources=(AD,), gaps=(DENIED, other)), Settings(), [rec.check], tool=TOOL
    )
    assert [f.status for f in report.findings] == [Status.PASS]
    assert report.complete
    assert ExitCode.judge(report, Severity.INFO) is ExitCode.OK
    # The report's gaps are what made checks ERROR; the Organization's is explained apart.
    assert report.gaps == (other,)
    assert report.notes == (
        "Organization member accounts not read (organizations:ListAccounts failed with "
        "AccessDeniedException): only trusted_account_ids count as trusted",
    )


def test_a_snapshot_without_the_organization_says_so() -> None:
    rec = Recorder("ROLE-014")
    report = analyze(snapshot(sources=(AD,)), Settings(), [rec.check], tool=TOOL)
    assert report.notes == (
        "Organization member accounts not collected in this snapshot: "
        "only trusted_account_ids count as trusted",
    )


def test_no_note_when_no_check_judges_trusted_accounts() -> None:
    rec = Recorder("ROLE-006")
    for snap in (snapshot(sources=(AD,), gaps=(DENIED,)), snapshot(members=frozenset({MEMBER}))):
        report = analyze(snap, Settings(), [rec.check], tool=TOOL)
        assert report.notes == ()
        assert report.gaps == ()


def test_the_organization_is_collected_only_for_checks_that_judge_trusted_accounts() -> None:
    assert needed_sources([Recorder("ROLE-006").check]) == {AD}
    # The flag is read from the registry by id, so a stand-in borrowing the id counts too.
    for check_id in ("ROLE-003", "ROLE-004", "ROLE-014"):
        assert needed_sources([Recorder(check_id).check]) == {AD, Source.ORGANIZATION}
    for chk in all_checks():
        expected = {Source.ORGANIZATION} if chk.judges_trusted_accounts else set()
        assert needed_sources([chk]) - chk.meta.needs - {AD} == expected, chk.meta.id


def test_no_check_needs_the_organization() -> None:
    for chk in all_checks():
        assert Source.ORGANIZATION not in chk.meta.needs, chk.meta.id
