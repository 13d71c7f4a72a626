"""The org summary from the member accounts' results: the state machine's last step.

The results come in the event (``{"action": "aggregate", "results": [...]}``, for small
Organizations, tests and manual runs) or from the Distributed Map's results in the report
bucket (``"result_writer"``, what the state machine passes, so an Organization of any size
fits). Each audited member's ``report.json`` is read back from the bucket; one that is
gone or unreadable makes that account not audited (said why) rather than failing the
whole summary.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from auditor.audit import TOOL
from auditor.aws_lambda.manifest import ItemResult, read_map_results
from auditor.aws_lambda.results import ERROR_MAX, OrgResult, clip
from auditor.aws_lambda.runner import Runner
from auditor.aws_lambda.settings import LOGGER, HandlerError
from auditor.aws_lambda.store import Stored
from auditor.model import AccountOutcome, OrgReport
from auditor.names import is_account_id
from auditor.org import outcome_from_report_json, outcome_not_audited

log = logging.getLogger(LOGGER)


def aggregate(runner: Runner, results: Sequence[ItemResult]) -> OrgResult:
    """Build and store the org summary from member results passed in the event.

    An account listed twice is an error.
    """
    items = [(f"results[{index}]", item) for index, item in enumerate(results)]
    return _aggregate(runner, items, duplicates_allowed=False)


def aggregate_map_results(runner: Runner, bucket: str, key: str) -> OrgResult:
    """Build and store the org summary from a Distributed Map's results in the bucket.

    ``bucket`` and ``key`` locate the ``manifest.json`` Step Functions wrote. A SUCCEEDED
    child's ``Output`` is its account's result; a FAILED or PENDING child makes the account
    of its ``Input`` not audited, with the error. An account found twice (a redriven
    child) counts once, audited if either result was.
    """
    items = read_map_results(runner.store, bucket, key)
    return _aggregate(runner, items, duplicates_allowed=True)


def _aggregate(
    runner: Runner, items: Sequence[tuple[str, ItemResult]], *, duplicates_allowed: bool
) -> OrgResult:
    chosen: dict[str, tuple[str, str, ItemResult]] = {}
    for where, item in items:
        account_id, name = _result_identity(item, where)
        if account_id in chosen:
            first, _, kept = chosen[account_id]
            if not duplicates_allowed:
                raise HandlerError(
                    f"aggregate: account {account_id} appears twice ({first} and {where})"
                )
            log.warning(
                "account listed twice in the map results; counted once",
                extra={"account_id": account_id, "first": first, "again": where},
            )
            if kept.get("audited") is True or item.get("audited") is not True:
                continue
        chosen[account_id] = (where, name, item)

    def outcome(account_id: str) -> tuple[AccountOutcome, Stored | None]:
        _, name, item = chosen[account_id]
        if item.get("audited") is True:
            return _outcome_from_stored(runner, account_id, name, item)
        error = clip(str(item.get("error") or "not audited (no reason given)"), ERROR_MAX)
        return outcome_not_audited(account_id, name, error), None

    # Reading hundreds of report.json objects one by one would dominate the run.
    with ThreadPoolExecutor(max_workers=runner.settings.max_workers) as pool:
        done = list(pool.map(outcome, chosen))
    org = OrgReport(
        tool=TOOL,
        runner_account_id=runner.identity()[0],
        generated_at=datetime.now(UTC).replace(microsecond=0),
        accounts=tuple(o for o, _ in done),
    )
    stored = {o.account_id: s for o, s in done if s is not None}
    return runner.finish_org(org, stored)


def _outcome_from_stored(
    runner: Runner, account_id: str, name: str, item: ItemResult
) -> tuple[AccountOutcome, Stored | None]:
    """An audited member's outcome, from its ``report.json`` read back from the bucket."""
    store = runner.store
    key = item.get("report_json_key")
    prefix = f"{store.prefix}/{account_id}/"
    if not isinstance(key, str) or not key.startswith(prefix):
        raise HandlerError(
            f"aggregate: account {account_id}'s report_json_key {key!r} is not under {prefix}"
        )
    stored = Stored(
        keys=tuple(str(k) for k in item.get("keys") or ()),
        latest_keys=tuple(str(k) for k in item.get("latest_keys") or ()),
    )
    where = f"report s3://{store.bucket}/{key}"

    def unusable(error: str) -> tuple[AccountOutcome, None]:
        log.warning(error, extra={"account_id": account_id})
        return outcome_not_audited(account_id, name, error), None

    body = store.read(store.bucket, key, "reading", missing_ok=True)
    if body is None:
        return unusable(f"{where} not found")
    try:
        data = json.loads(body)
    except ValueError:
        return unusable(f"{where} is not valid JSON")
    if not isinstance(data, Mapping) or data.get("account_id") != account_id:
        return unusable(f"{where} is not account {account_id}'s report")
    try:
        # Any report.json version this build reads: members may run an older release.
        outcome = outcome_from_report_json(
            data, name=name, reports=store.uris(stored.keys), source=where
        )
    except ValueError as exc:  # the message starts with the report's location
        return unusable(str(exc))
    return outcome, stored


def _result_identity(item: ItemResult, where: str) -> tuple[str, str]:
    account_id = item.get("account_id")
    if not is_account_id(account_id):
        raise HandlerError(
            f"aggregate: {where} has no 12-digit account_id "
            f"(keys: {', '.join(sorted(map(str, item))) or 'none'})"
        )
    name = item.get("name")
    return account_id, name if isinstance(name, str) else ""
