"""What the wheel and the Lambda zip ship: never the test kit; in the zip, no demo or moto.

The real zip downloads arm64 dependencies (``test_templates`` builds it); here the
project's own wheel is built offline and ``package.in_zip``, which decides what of the
installed project the zip holds, is applied to the wheel's file list.
"""

from __future__ import annotations

import ast
import runpy
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE: dict[str, Any] = runpy.run_path(str(REPO / "deploy" / "package.py"))
# Top-level code beside auditor/ that must never ship: the test kit and the benchmarks.
NEIGHBOURS = ("testkit", "benchmarks")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    # The neighbours are copied too, as in a checkout: the package list keeps them out.
    work = tmp_path_factory.mktemp("wheel")
    wheel = PACKAGE["build_wheel"](work, (*PACKAGE["SOURCE_PARTS"], *NEIGHBOURS))
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def imported_modules(source: bytes, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(source)
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_wheel_ships_the_demo_but_not_the_test_kit(wheel_files: dict[str, bytes]) -> None:
    names = set(wheel_files)
    assert {"auditor/lambda_handler.py", "auditor/demo/account.py"} <= names
    assert "auditor/demo/moto_account.py" in names
    assert not {PurePosixPath(n).parts[0] for n in names} & {*NEIGHBOURS, "tests"}
    assert not any(PurePosixPath(n).name == "faults.py" for n in names)
    assert not any(n.startswith("auditor/testing/") for n in names)


def test_the_zip_has_no_demo_no_test_kit_and_nothing_importing_moto(
    wheel_files: dict[str, bytes],
) -> None:
    zipped = {n: data for n, data in wheel_files.items() if PACKAGE["in_zip"](n)}
    assert "auditor/lambda_handler.py" in zipped
    assert "auditor/templates/report.html.j2" in zipped
    assert not any(n.startswith(("auditor/demo/", "testkit/")) for n in zipped)
    assert not any(PurePosixPath(n).name == "faults.py" for n in zipped)
    for name, source in zipped.items():
        if name.endswith(".py"):
            imports = imported_modules(source, top_level_only=False)
            assert not {m for m in imports if m.split(".")[0] == "moto"}, name
            # A lazy import (the CLI's demo command) fails cleanly; a top-level one would not.
            assert not {
                m
                for m in imported_modules(source, top_level_only=True)
                if m.startswith("auditor.demo")
            }, name


@pytest.mark.parametrize(
    ("name", "zipped"),
    [
        ("auditor/cli.py", True),
        ("auditor/demo.py", True),
        ("boto3/__init__.py", True),
        ("numpy/testing/__init__.py", True),
        ("auditor/demo/__init__.py", False),
        ("auditor/__pycache__/cli.cpython-312.pyc", False),
        ("bin/iam-auditor", False),
        ("numpy/_core/tests/test_api.py", False),
        ("pandas/tests/frame/test_api.py", False),
    ],
)
def test_in_zip(name: str, zipped: bool) -> None:
    assert PACKAGE["in_zip"](name) is zipped
