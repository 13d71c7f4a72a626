"""``iam-auditor paths`` through ``main()`` on a saved snapshot: text, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import (
    ADMIN_MANAGED,
    LAMBDA_TRUST,
    ROOT_TRUST,
    arn,
    document,
    inline,
    role,
    snapshot,
    statement,
    user,
)

from auditor.cli import main
from auditor.model import Gap, Source
from auditor.snapshot import Snapshot, dumps

ADMIN = ADMIN_MANAGED


def chain(hostile: str = "deploy") -> Snapshot:
    """ci -> assume ``hostile`` -> pass lambda-admin to Lambda -> admin; reader has nothing."""
    assume = inline("assume", document(statement("sts:AssumeRole", arn("role", hostile))))
    passes = inline(
        "deploy",
        document(
            {**statement("iam:PassRole", arn("role", "lambda-admin")), "Sid": "Pass"},
            statement(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"),
        ),
    )
    return snapshot(
        users=[user("ci", inline_policies=[assume]), user("reader")],
        roles=[
            role(hostile, inline_policies=[passes], trust=ROOT_TRUST),
            role("lambda-admin", policies=[ADMIN], trust=LAMBDA_TRUST),
        ],
        policies=[ADMIN],
    )


def saved(tmp_path: Path, snap: Snapshot) -> Path:
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(snap), encoding="utf-8")
    return path


def test_text_lists_each_path_with_its_hops_and_the_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["paths", "--from-snapshot", str(saved(tmp_path, chain()))])
    out = capsys.readouterr().out
    assert code == 1
    assert "Path 1 of 2:" in out and "Path 2 of 2:" in out
    assert "ci -(assume-role" in out
    assert "  1. ci -> deploy: assume-role" in out
    assert "grant: identity deploy (inline) stmt 0 (Pass): iam:PassRole on" in out
    assert "grant: trust trust policy of lambda-admin stmt 0" in out
    assert out.rstrip().splitlines()[-2].startswith("Cheapest cut: remove statement")


def test_json_is_the_path_dicts_and_the_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["paths", "--from-snapshot", str(saved(tmp_path, chain())), "--json", "--from", "ci"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(data) == {"paths", "cut"}
    (path,) = data["paths"]
    assert [n["name"] for n in path["nodes"]] == ["ci", "deploy", "lambda-admin", "admin"]
    assert [h["reason"] for h in path["hops"]] == ["assume-role", "pass-role", "admin-equivalent"]
    assert path["starts_outside"] is False and path["text"].startswith("ci -(")
    assert data["cut"]["paths_broken"] == 1


def test_to_a_named_role_and_no_path_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = saved(tmp_path, chain())
    assert main(["paths", "--from-snapshot", str(snap), "--from", "ci", "--to", "role/deploy"]) == 1
    assert "ci -(assume-role" in capsys.readouterr().out
    assert main(["paths", "--from-snapshot", str(snap), "--from", "reader"]) == 0
    assert capsys.readouterr().out.strip() == "No attack path found."
    assert main(["paths", "--from-snapshot", str(snap), "--json", "--from", "reader"]) == 0
    assert json.loads(capsys.readouterr().out) == {"paths": [], "cut": None}


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_unknown_name_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    code = main(
        ["paths", "--from-snapshot", str(saved(tmp_path, chain())), option, "nobody\x1b[2J"]
    )
    err = capsys.readouterr()
    assert code == 2 and err.out == ""
    assert err.err.count("\n") == 1
    assert f"{option}: no user, role or entry point" in err.err
    assert "\x1b" not in err.err


def test_hostile_names_stay_inert_on_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["paths", "--from-snapshot", str(saved(tmp_path, chain("evil\x1b[2J\u202e")))])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "evil?[2J?" in out


def test_snapshot_without_authorization_details_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gap = Gap(
        Source.AUTHORIZATION_DETAILS, "iam:GetAccountAuthorizationDetails", "AccessDenied", "no"
    )
    code = main(
        ["paths", "--from-snapshot", str(saved(tmp_path, snapshot(gaps=[gap], sources=())))]
    )
    assert code == 3
    assert "iam:GetAccountAuthorizationDetails failed with AccessDenied" in capsys.readouterr().err
