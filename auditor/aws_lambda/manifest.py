"""Reading a Step Functions Distributed Map's results from the report bucket.

The state machine's map writes its children's results with a ResultWriter under
``PREFIX/organization/step-functions/<map run id>/``: a ``manifest.json`` listing result
files by child status, each a JSON array of child executions. Only objects of the report
bucket under that folder are read: a manifest, or a result file it names, anywhere else is
refused. Each child execution stands for one account's result (``child_result``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from auditor.aws_lambda.results import ERROR_MAX, NotAuditedResult, clip, not_audited_result
from auditor.aws_lambda.settings import LOGGER, HandlerError
from auditor.aws_lambda.store import ORG_FOLDER, ReportStore
from auditor.names import is_account_id

log = logging.getLogger(LOGGER)

# Where the state machine's Distributed Map writes its child results (its ResultWriter):
# PREFIX/organization/step-functions/<map run id>/manifest.json and the result files. The
# aggregation reads nothing else the event names.
MAP_RESULTS_FOLDER = "step-functions"
MAP_STATUSES = ("SUCCEEDED", "FAILED", "PENDING")

# One account's result as the aggregation reads it: what a member event returned (passed
# through as JSON, so untrusted), or why its child execution gave none.
ItemResult = Mapping[str, Any]


def map_results_prefix(store: ReportStore) -> str:
    """``PREFIX/organization/step-functions/``: where the Distributed Map's results go."""
    return f"{store.prefix}/{ORG_FOLDER}/{MAP_RESULTS_FOLDER}/"


def read_map_results(store: ReportStore, bucket: str, key: str) -> list[tuple[str, ItemResult]]:
    """The account results of the map run whose ``manifest.json`` is ``bucket``/``key``.

    ``bucket`` and ``key`` are the Map state's ``ResultWriterDetails``. Each result is
    labelled with where it was found (``s3://bucket/file[index]``), for error messages.
    """
    manifest = _read_map_json(store, bucket, key, "manifest")
    where = f"s3://{bucket}/{key}"
    files = manifest.get("ResultFiles") if isinstance(manifest, Mapping) else None
    if not isinstance(manifest, Mapping) or not isinstance(files, Mapping):
        raise HandlerError(
            f"aggregate: {where} is not a Distributed Map manifest.json (no ResultFiles)"
        )
    destination = manifest.get("DestinationBucket", bucket)
    if destination != bucket:
        raise HandlerError(
            f"aggregate: {where} lists results in bucket {destination!r}, not {bucket!r}"
        )
    items: list[tuple[str, ItemResult]] = []
    for status in MAP_STATUSES:
        entries = files.get(status) or []
        if not isinstance(entries, list):
            raise HandlerError(f"aggregate: {where}: ResultFiles.{status} is not a list")
        for entry in entries:
            file_key = entry.get("Key") if isinstance(entry, Mapping) else None
            if not isinstance(file_key, str):
                raise HandlerError(f"aggregate: {where}: a ResultFiles.{status} entry has no Key")
            executions = _read_map_json(store, bucket, file_key, f"{status} result file")
            if not isinstance(executions, list):
                raise HandlerError(
                    f"aggregate: s3://{bucket}/{file_key} is not a JSON array of child executions"
                )
            for index, execution in enumerate(executions):
                label = f"s3://{bucket}/{file_key}[{index}]"
                items.append((label, child_result(execution, status, label)))
    log.info(
        "distributed map results read",
        extra={
            "manifest": where,
            "map_run_arn": str(manifest.get("MapRunArn") or ""),
            "results": len(items),
        },
    )
    return items


def _read_map_json(store: ReportStore, bucket: str, key: str, what: str) -> Any:
    """A Distributed Map result object, parsed; refused outside ``map_results_prefix``."""
    allowed = map_results_prefix(store)
    if bucket != store.bucket or not key.startswith(allowed):
        raise HandlerError(
            f"aggregate: refusing to read the Distributed Map {what} s3://{bucket}/{key}: "
            f"only objects under s3://{store.bucket}/{allowed} are read"
        )
    body = store.read(bucket, key, f"aggregate: reading the map {what}")
    try:
        return json.loads(body)
    except ValueError:
        raise HandlerError(
            f"aggregate: the Distributed Map {what} s3://{bucket}/{key} is not valid JSON"
        ) from None


def child_result(execution: Any, status: str, where: str) -> ItemResult:
    """The account result one child execution of a Distributed Map's result file stands for.

    ``status`` is the manifest's group the file is in. A SUCCEEDED child's ``Output`` (a
    JSON string) is the result the state machine's item processor returned for the account
    of its ``Input``. A FAILED child (failed, timed out or aborted: a fault of the workflow,
    since the item processor catches the function's own errors) or a PENDING one (never
    finished) makes the account of its ``Input`` not audited, with Step Functions' error.
    ``HandlerError`` names ``where`` when the child's account cannot be told.
    """
    if not isinstance(execution, Mapping):
        raise HandlerError(f"aggregate: {where} is not a child execution object")
    given = _json_object(execution.get("Input")) or {}
    account_id = given.get("account_id")
    if not is_account_id(account_id):
        account_id = None
    name = given.get("name")
    name = name if isinstance(name, str) else ""
    if status == "SUCCEEDED":
        output = _json_object(execution.get("Output"))
        if output is not None and (account_id is None or output.get("account_id") == account_id):
            return dict(output)
        if account_id is None:
            raise HandlerError(f"aggregate: {where}: the child execution's Output is no result")
        return _not_a_result(account_id, name, output)
    if account_id is None:
        raise HandlerError(
            f"aggregate: {where}: a {status} child execution's Input has no 12-digit account_id"
        )
    if status == "PENDING":
        error = "its Step Functions child execution never finished (the map run stopped first)"
    else:
        state = str(execution.get("Status") or status).lower().replace("_", " ")
        error = f"its Step Functions child execution {state}"
        code = execution.get("Error")
        if code:
            error += f" ({code})"
        cause = _cause_text(execution.get("Cause"))
        if cause:
            error += f": {cause}"
    return not_audited_result(account_id, name, clip(error, ERROR_MAX))


def _not_a_result(account_id: str, name: str, output: Mapping[str, Any] | None) -> NotAuditedResult:
    # A SUCCEEDED child whose Output is not its own account's result.
    if output is None:
        error = "its Step Functions child execution succeeded without an account result"
    else:
        error = (
            f"its Step Functions child execution returned the result of account "
            f"{output.get('account_id')!r}"
        )
    return not_audited_result(account_id, name, error)


def _json_object(value: Any) -> Mapping[str, Any] | None:
    """``value`` as a JSON object: already one, or a string holding one (Step Functions'
    ``Input`` and ``Output`` are strings)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def _cause_text(cause: Any) -> str:
    # A Lambda error's Cause is JSON with the message first and a stack trace after it.
    parsed = _json_object(cause)
    if parsed is not None and isinstance(parsed.get("errorMessage"), str):
        return " ".join(str(parsed["errorMessage"]).split())
    return " ".join(str(cause).split()) if cause else ""
