"""The deployment: cfn-lint clean templates, least-privilege roles, the handler's wiring, the zip.

The templates are read with cfn-lint's own decoder (it understands ``!Ref``/``!Sub``) and
linted with cfn-lint itself, not a mock. The roles are compared with
``auditor.iam_policy.policy_document()``: an action added to a collector, and so to
``iam-auditor permissions``, fails here until the deployed roles grant it too; any write
beyond the reports, the notification, the member-role assumption and the logs fails as
well. ``test_lambda_package_builds_within_limit`` builds the real deployment zip with pip
(it needs the package index, and fails rather than skips without it).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import decode

from auditor.iam_policy import OPTIONAL_SID, POLICY_SID, policy_document

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
TEMPLATE = DEPLOY / "template.yaml"
MEMBER_ROLE = DEPLOY / "member-role.yaml"
HANDLER_SOURCES = (
    REPO / "auditor" / "lambda_handler.py",
    *(REPO / "auditor" / "aws_lambda").glob("*.py"),
)

NO_VALUE = {"Ref": "AWS::NoValue"}
READ = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|Head)[A-Za-z]*$")
# Beyond the audit's own actions, the only writes the function may make.
ALLOWED_WRITES = {"s3:PutObject", "sns:Publish", "kms:GenerateDataKey", "sts:AssumeRole"}
# kms:Decrypt reads the reports back (SSE-KMS): not a write, but not Get/List either.
ALLOWED_NON_READ = ALLOWED_WRITES | {"kms:Decrypt"}
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def load(path: Path) -> dict[str, Any]:
    template, matches = decode(str(path))
    assert not matches, [str(m) for m in matches]
    assert template is not None
    return dict(template)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load(TEMPLATE)


@pytest.fixture(scope="module")
def member_role() -> dict[str, Any]:
    return load(MEMBER_ROLE)


def branches(node: Any) -> Iterator[Any]:
    """``node``, or each value an ``Fn::If`` can take (AWS::NoValue dropped), recursively."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        _condition, when_true, when_false = node["Fn::If"]
        for branch in (when_true, when_false):
            if branch != NO_VALUE:
                yield from branches(branch)
    else:
        yield node


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every inline policy of ``role``, whatever the conditions."""
    found: list[dict[str, Any]] = []
    for policy in role["Properties"]["Policies"]:
        for chosen in branches(policy):
            for statement in chosen["PolicyDocument"]["Statement"]:
                found.extend(dict(s) for s in branches(statement))
    return found


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {str(a) for s in statements for a in as_list(s["Action"])}


def expected_statements() -> dict[str, list[str]]:
    return {s["Sid"]: sorted(s["Action"]) for s in policy_document()["Statement"]}


def audit_actions() -> set[str]:
    return {a for acts in expected_statements().values() for a in acts}


def statement_with(statements: list[dict[str, Any]], action: str) -> dict[str, Any]:
    (found,) = [s for s in statements if action in as_list(s["Action"])]
    return found


def policy_condition(role: dict[str, Any], action: str) -> str | None:
    """The condition under which ``role`` holds the policy granting ``action`` (None: always)."""
    for policy in role["Properties"]["Policies"]:
        condition = policy["Fn::If"][0] if set(policy) == {"Fn::If"} else None
        for chosen in branches(policy):
            document = chosen["PolicyDocument"]
            statements = [s for node in document["Statement"] for s in branches(node)]
            if action in actions(statements):
                return condition
    raise AssertionError(f"no policy grants {action}")


# ----------------------------------------------------------------------------- cfn-lint


@pytest.mark.parametrize("path", [TEMPLATE, MEMBER_ROLE], ids=lambda p: p.name)
def test_templates_pass_cfn_lint(path: Path) -> None:
    matches = lint_file(path)
    assert not matches, "\n".join(f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches)


def test_cfn_lint_catches_a_broken_template(tmp_path: Path) -> None:
    # The lint test above is only worth something if cfn-lint really reads these templates.
    broken = tmp_path / "template.yaml"
    text = TEMPLATE.read_text()
    valid = "SSEAlgorithm: !If [HasKmsKey, aws:kms, AES256]"
    assert valid in text
    broken.write_text(text.replace(valid, "SSEAlgorithm: AES512"))
    assert any("AES512" in m.message for m in lint_file(broken))


# ----------------------------------------------------------------------------- roles


def test_execution_role_grants_exactly_the_audit_policy(template: dict[str, Any]) -> None:
    statements = role_statements(template["Resources"]["AuditorExecutionRole"])
    by_sid = {s["Sid"]: s for s in statements if "Sid" in s}
    for sid, expected in expected_statements().items():
        assert sorted(as_list(by_sid[sid]["Action"])) == expected, sid
        assert by_sid[sid]["Resource"] == "*"
        assert by_sid[sid]["Effect"] == "Allow"
    assert set(expected_statements()) == {POLICY_SID, OPTIONAL_SID}
    assert audit_actions() <= actions(statements)


def test_execution_role_writes_only_reports_notifications_and_logs(
    template: dict[str, Any],
) -> None:
    statements = role_statements(template["Resources"]["AuditorExecutionRole"])
    extra = actions(statements) - audit_actions()
    non_read = {a for a in extra if not READ.match(a) and not a.startswith("logs:")}
    assert non_read == ALLOWED_NON_READ
    assert not any("*" in a for a in actions(statements))
    # IAM stays read-only: the only IAM action not in the audit policy would be a write.
    assert not {a for a in extra if a.startswith("iam:")}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        if not set(as_list(statement["Action"])) <= audit_actions():
            assert statement["Resource"] != "*", statement

    put = statement_with(statements, "s3:PutObject")
    assert put["Resource"] == {"Fn::Sub": "${ReportBucket.Arn}/${ReportPrefix}/*"}
    assume = statement_with(statements, "sts:AssumeRole")
    assert assume["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}
    role = template["Resources"]["AuditorExecutionRole"]
    assert policy_condition(role, "sts:AssumeRole") == "IsOrgMode"
    assert policy_condition(role, "sns:Publish") == "CreatesTopic"
    assert policy_condition(role, "kms:GenerateDataKey") == "HasKmsKey"
    assert policy_condition(role, "s3:PutObject") is None
    assert template["Conditions"]["IsOrgMode"] == {"Fn::Equals": [{"Ref": "Mode"}, "org"]}


def test_member_role_grants_exactly_the_audit_policy(member_role: dict[str, Any]) -> None:
    statements = role_statements(member_role["Resources"]["AuditorMemberRole"])
    assert {s["Sid"]: sorted(as_list(s["Action"])) for s in statements} == expected_statements()
    assert all(s["Resource"] == "*" and s["Effect"] == "Allow" for s in statements)


def test_member_role_trusts_only_the_auditor_account(member_role: dict[str, Any]) -> None:
    role = member_role["Resources"]["AuditorMemberRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditorAccountId}:root"}
    }
    condition = trust["Condition"]["Fn::If"][1]
    assert condition["StringEquals"]["Fn::If"][1] == {"sts:ExternalId": {"Ref": "ExternalId"}}
    assert condition["ArnEquals"]["Fn::If"][1] == {"aws:PrincipalArn": {"Ref": "AuditorRoleArn"}}


# ----------------------------------------------------------------------------- the handler


def handler_env_names() -> set[str]:
    """The variables the handler (auditor/aws_lambda/) reads: its ``ENV_*`` constants.

    Every ``AUDITOR_*`` name in its source must be one of them, so a variable read without
    a constant cannot slip past this test.
    """
    import auditor.lambda_handler as handler_module

    constants = {
        str(value) for name, value in vars(handler_module).items() if name.startswith("ENV_")
    }
    source = "".join(path.read_text() for path in HANDLER_SOURCES)
    assert set(re.findall(r"\bAUDITOR_[A-Z0-9_]+\b", source)) == constants
    return constants


def test_function_environment_is_what_the_handler_reads(template: dict[str, Any]) -> None:
    function = template["Resources"]["AuditorFunction"]["Properties"]
    variables = set(function["Environment"]["Variables"])
    assert variables == handler_env_names()
    assert function["Environment"]["Variables"]["AUDITOR_REPORT_BUCKET"] == {"Ref": "ReportBucket"}


def test_function_handler_is_importable(template: dict[str, Any]) -> None:
    function = template["Resources"]["AuditorFunction"]["Properties"]
    module_name, _, attribute = str(function["Handler"]).rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))
    assert function["Runtime"] == "python3.12"


# ----------------------------------------------------------------------------- state machine


def states_in_order(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The states from StartAt along Next (a Choice's first choice) until one ends."""
    order: list[tuple[str, dict[str, Any]]] = []
    name = definition["StartAt"]
    while name is not None and len(order) < len(definition["States"]):
        state = definition["States"][name]
        order.append((name, state))
        name = state.get("Next") or (state.get("Choices") or [{}])[0].get("Next")
    return order


def lambda_tasks(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in definition["States"].values():
        if state["Type"] == "Task":
            yield state
        if state["Type"] == "Map":
            yield from lambda_tasks(state["ItemProcessor"])


def test_state_machine_lists_maps_and_aggregates(template: dict[str, Any]) -> None:
    machine = template["Resources"]["OrgAuditStateMachine"]
    definition = machine["Properties"]["Definition"]
    tasks = [state for _, state in states_in_order(definition) if state["Type"] in {"Task", "Map"}]
    listing, fan_out, aggregate = tasks

    assert listing["Parameters"] == {"action": "list_accounts"}
    assert fan_out["Type"] == "Map"
    assert fan_out["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert fan_out["ItemsPath"] == listing["ResultPath"] + ".accounts"
    assert fan_out["ItemSelector"]["account_id.$"] == "$$.Map.Item.Value.account_id"
    (audit,) = lambda_tasks(fan_out["ItemProcessor"])
    assert audit["Parameters"] == {"account_id.$": "$.account_id", "name.$": "$.name"}
    assert {"Next": "AuditFailed", "ErrorEquals": ["States.ALL"], "ResultPath": "$.failure"} in [
        dict(c) for c in audit["Catch"]
    ]
    # The children's results go to S3; the map passes on only where their manifest is.
    assert "ResultWriter" in fan_out
    assert fan_out["ResultPath"] == "$"
    assert aggregate["Parameters"] == {"action": "aggregate", "result_writer.$": "$"}

    function_arn = machine["Properties"]["DefinitionSubstitutions"]["AuditorFunctionArn"]
    assert function_arn == {"Fn::GetAtt": ["AuditorFunction", "Arn"]}
    for task in lambda_tasks(definition):
        assert task["Resource"] == "${AuditorFunctionArn}"
        retried = {e for r in task["Retry"] for e in r["ErrorEquals"]}
        assert {"Lambda.TooManyRequestsException", "Lambda.ServiceException"} <= retried


def json_path(data: Any, path: str) -> Any:
    """``$`` or ``$.a.b`` of ``data``: the JSONPath subset the state machine uses."""
    node = data
    for part in path.removeprefix("$").split(".")[1:]:
        node = node[part]
    return node


def apply_parameters(parameters: dict[str, Any], data: Any) -> dict[str, Any]:
    """A state's Parameters or ResultSelector on ``data`` (``"key.$"`` paths, else as-is)."""
    return {
        key.removesuffix(".$"): json_path(data, value) if key.endswith(".$") else value
        for key, value in parameters.items()
    }


def test_map_writes_its_results_to_the_report_bucket_prefix(template: dict[str, Any]) -> None:
    from auditor.lambda_handler import MAP_RESULTS_FOLDER, ORG_FOLDER

    machine = template["Resources"]["OrgAuditStateMachine"]["Properties"]
    fan_out = machine["Definition"]["States"]["AuditAccounts"]
    writer = fan_out["ResultWriter"]
    assert writer["Resource"] == "arn:aws:states:::s3:putObject"
    assert writer["Parameters"] == {"Bucket": "${ReportBucket}", "Prefix": "${MapResultsPrefix}"}
    # JSON arrays of whole child executions (Input, Output, Error, Cause): what the
    # handler's aggregation parses. These are also the defaults without WriterConfig.
    assert writer["WriterConfig"] == {"OutputType": "JSON", "Transformation": "NONE"}
    substitutions = machine["DefinitionSubstitutions"]
    assert substitutions["ReportBucket"] == {"Ref": "ReportBucket"}
    # The very folder the handler reads map results from, and nothing else.
    prefix = f"${{ReportPrefix}}/{ORG_FOLDER}/{MAP_RESULTS_FOLDER}"
    assert substitutions["MapResultsPrefix"] == {"Fn::Sub": prefix}
    # A failed child is reported by the aggregation, so it must not stop the map.
    assert fan_out["ToleratedFailurePercentage"] == 100

    # The data flow, as Step Functions runs it: the map's raw output with a ResultWriter,
    # through its ResultSelector and ResultPath, into the aggregation's event.
    manifest_key = f"iam-auditor/{ORG_FOLDER}/{MAP_RESULTS_FOLDER}/0f1e/manifest.json"
    raw = {
        "MapRunArn": "arn:aws:states:us-east-1:111122223333:mapRun:m/AuditAccounts:0f1e",
        "ResultWriterDetails": {"Bucket": "reports-bucket", "Key": manifest_key},
    }
    assert fan_out["ResultPath"] == "$"
    state_output = apply_parameters(fan_out["ResultSelector"], raw)
    assert state_output == {"Bucket": "reports-bucket", "Key": manifest_key}
    aggregate = machine["Definition"]["States"][fan_out["Next"]]
    event = apply_parameters(aggregate["Parameters"], state_output)
    from auditor.lambda_handler import EventKind, parse_event

    request = parse_event(event)
    assert request.kind is EventKind.AGGREGATE
    assert request.result_writer == ("reports-bucket", manifest_key)
    # What Step Functions passes on stays small, whatever the number of accounts.
    assert len(json.dumps(event)) < 1024


def test_state_machine_role_can_write_the_map_results(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    role = resources["OrgAuditStateMachineRole"]
    statements = role_statements(role)
    documented = {
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
    }
    assert (
        actions(statements)
        == {"lambda:InvokeFunction", "kms:GenerateDataKey", "kms:Decrypt"} | documented
    )
    (s3_statement,) = [s for s in statements if set(as_list(s["Action"])) & documented]
    assert set(as_list(s3_statement["Action"])) == documented
    machine = resources["OrgAuditStateMachine"]["Properties"]
    prefix = machine["DefinitionSubstitutions"]["MapResultsPrefix"]["Fn::Sub"]
    assert s3_statement["Resource"] == {"Fn::Sub": f"${{ReportBucket.Arn}}/{prefix}/*"}
    assert policy_condition(role, "s3:PutObject") is None
    kms = statement_with(statements, "kms:GenerateDataKey")
    assert sorted(as_list(kms["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Resource"] == {"Ref": "KmsKeyArn"}
    assert policy_condition(role, "kms:GenerateDataKey") == "HasKmsKey"
    # The function reads them back with its grant on the whole report prefix, and the
    # lifecycle rule that expires the reports covers them too.
    function = role_statements(resources["AuditorExecutionRole"])
    readable = [s["Resource"] for s in function if "s3:GetObject" in as_list(s["Action"])]
    assert {"Fn::Sub": "${ReportBucket.Arn}/${ReportPrefix}/*"} in readable
    assert prefix.startswith("${ReportPrefix}/")
    rules = resources["ReportBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Fn::Sub": "${ReportPrefix}/"} in [r.get("Prefix") for r in rules]


def test_schedule_targets_the_state_machine_only_when_it_exists(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    conditions = template["Conditions"]
    assert resources["OrgAuditStateMachine"]["Condition"] == "UsesStepFunctions"
    assert conditions["UsesStepFunctions"] == {
        "Fn::And": [{"Condition": "IsOrgMode"}, {"Condition": "WantsStepFunctions"}]
    }
    assert resources["StateMachineSchedule"]["Condition"] == "UsesStepFunctions"
    assert resources["FunctionSchedule"]["Condition"] == "SchedulesFunction"
    assert conditions["SchedulesFunction"] == {"Fn::Not": [{"Condition": "UsesStepFunctions"}]}
    (target,) = resources["StateMachineSchedule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": "OrgAuditStateMachine"}
    (target,) = resources["FunctionSchedule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["AuditorFunction", "Arn"]}
    for rule in ("StateMachineSchedule", "FunctionSchedule"):
        expression = resources[rule]["Properties"]["ScheduleExpression"]
        assert expression == {"Ref": "ScheduleExpression"}


def test_state_machine_role_can_run_its_distributed_map(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    map_policy = resources["OrgAuditStateMachineMapPolicy"]["Properties"]
    assert map_policy["Roles"] == [{"Ref": "OrgAuditStateMachineRole"}]
    granted = {
        str(a): s["Resource"]
        for s in map_policy["PolicyDocument"]["Statement"]
        for a in as_list(s["Action"])
    }
    assert granted["states:StartExecution"] == {"Ref": "OrgAuditStateMachine"}
    assert "${OrgAuditStateMachine.Name}/*" in granted["states:DescribeExecution"]["Fn::Sub"]
    assert "states:StopExecution" in granted
    invoke = statement_with(
        role_statements(resources["OrgAuditStateMachineRole"]), "lambda:InvokeFunction"
    )
    assert invoke["Resource"] == [
        {"Fn::GetAtt": ["AuditorFunction", "Arn"]},
        {"Fn::Sub": "${AuditorFunction.Arn}:*"},
    ]


# ----------------------------------------------------------------------------- bucket


def test_report_bucket_is_private_encrypted_versioned_and_expiring(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["ReportBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
    assert algorithm == {"Fn::If": ["HasKmsKey", "aws:kms", "AES256"]}
    retention = {"Ref": "ReportRetentionDays"}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == retention for r in rules)
    assert all(r["NoncurrentVersionExpiration"]["NoncurrentDays"] == retention for r in rules)
    policy = template["Resources"]["ReportBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# ----------------------------------------------------------------------------- README


def test_readme_documents_every_parameter_and_its_default(template: dict[str, Any]) -> None:
    readme = (DEPLOY / "README.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", readme, re.MULTILINE))
    parameters = template["Parameters"]
    assert set(table) == set(parameters)
    for name, documented in table.items():
        default = str(parameters[name].get("Default", ""))
        assert documented.strip("`") == (default or "empty"), name


def test_readme_deploy_examples_use_valid_parameter_values(template: dict[str, Any]) -> None:
    readme = (DEPLOY / "README.md").read_text()
    blocks = [b for b in re.findall(r"^```sh\n(.*?)^```", readme, re.M | re.S) if "sam deploy" in b]
    overrides = [
        (name, value.strip('"'))
        for block in blocks
        for name, value in re.findall(r"\b([A-Z]\w+)=(\"[^\"]*\"|\S+)", block)
    ]
    parameters = template["Parameters"]
    assert {"Mode", "UseStepFunctions", "KmsKeyArn", "ScheduleExpression"} <= dict(overrides).keys()
    for name, value in overrides:
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], name
        if "AllowedPattern" in spec:
            assert re.fullmatch(str(spec["AllowedPattern"]), value), name


# ----------------------------------------------------------------------------- package


def package_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_package", DEPLOY / "package.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_code_uri_is_the_zip_package_py_builds(template: dict[str, Any]) -> None:
    package = package_module()
    function = template["Resources"]["AuditorFunction"]["Properties"]
    code = (DEPLOY / str(function["CodeUri"])).resolve()
    assert code == package.DEFAULT_OUT / package.ZIP_NAME
    assert function["Runtime"] == f"python{package.PYTHON_VERSION}"
    assert list(function["Architectures"]) == ["arm64"]
    assert all(p.endswith("_aarch64") for p in package.PLATFORMS)


def test_lambda_package_builds_within_limit(tmp_path: Path) -> None:
    """Build the real zip with pip (network needed: a failure to download fails the test)."""
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(DEPLOY / "package.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    archive_path = tmp_path / "iam-auditor-lambda.zip"
    assert archive_path.is_file()
    assert "unzipped" in completed.stdout

    with zipfile.ZipFile(archive_path) as archive:
        infos = archive.infolist()
    names = {info.filename for info in infos}
    unzipped = sum(info.file_size for info in infos)
    assert unzipped < LAMBDA_UNZIPPED_LIMIT

    assert "auditor/lambda_handler.py" in names
    templates = {p.name for p in (REPO / "reports" / "templates").iterdir() if p.is_file()}
    assert templates
    assert {f"auditor/templates/{name}" for name in templates} <= names
    for dependency in ("boto3", "botocore", "jinja2", "pandas", "numpy"):
        assert f"{dependency}/__init__.py" in names, dependency
    # Built for the function's runtime and CPU, whatever the machine that built it.
    assert any(n.endswith(".cpython-312-aarch64-linux-gnu.so") for n in names)
    assert not any(n.endswith("x86_64-linux-gnu.so") for n in names)
    # Runtime dependencies only, and none of what was stripped.
    assert not {n.split("/")[0] for n in names} & {"moto", "pytest", "mypy", "cfnlint", "bin"}
    assert not any("__pycache__" in n for n in names)
    assert not any(n.startswith(("pandas/tests/", "numpy/_core/tests/")) for n in names)
