"""Build the AWS Lambda deployment zip of iam-auditor: ``python deploy/package.py [--out DIR]``.

The zip holds the ``auditor`` package and its runtime dependencies only (boto3, botocore,
jinja2, pandas and what they pull in - never moto or the dev tools), installed for the
function's runtime rather than for the machine that builds it: CPython 3.12 on arm64
(Graviton) Linux, matching ``Runtime`` and ``Architectures`` in ``deploy/template.yaml``.
pip picks manylinux wheels for that platform, so the build works from any OS or CPU and
never compiles anything. The project itself is first built into a wheel from a clean copy
of its sources, so stale files in a local ``build/`` directory cannot leak into the zip.

What the function can never use is left out of the zip (``in_zip``): ``__pycache__``
directories (bytecode for the builder's Python, not 3.12), console-script launchers in
``bin/`` (their shebangs name the builder's interpreter), the test suites numpy and pandas
ship, and ``auditor/demo/``, the demo and its moto helpers (moto is not installed).
Package metadata (``*.dist-info``) stays: libraries read their own versions from it.

The script prints the zip's size and the unzipped size, and exits 1 when the unzipped
size exceeds Lambda's 250 MB limit for a function's code, so a dependency bump that would
make the function undeployable fails the build instead of the deployment.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "build" / "lambda"
ZIP_NAME = "iam-auditor-lambda.zip"

PYTHON_VERSION = "3.12"
# Lambda's python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34), so manylinux_2_28
# wheels load there; recent numpy releases publish nothing older for aarch64.
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")

# Lambda's limit on a function's unpacked code (with its layers): 250 MB.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

# What building the project's wheel reads; nothing else of the checkout is copied.
SOURCE_PARTS = ("pyproject.toml", "README.md", "auditor", "reports/templates")
# Top-level packages whose bundled test suites are dead weight in the function.
TESTS_STRIPPED_FROM = ("numpy", "pandas")
# Installed directories the function never loads: launchers, and the demo (it needs moto).
LEFT_OUT = (("bin",), ("auditor", "demo"))
# PEP 639's ``license = "..."`` in pyproject.toml needs this setuptools.
MIN_SETUPTOOLS = 77

# A fixed timestamp makes two builds of the same inputs produce the same zip.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the zip; return 0, or 1 when it would exceed Lambda's size limit."""
    parser = argparse.ArgumentParser(description="Build the iam-auditor AWS Lambda zip.")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"directory the zip is written to (default: {DEFAULT_OUT.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    zip_path = out / ZIP_NAME

    with tempfile.TemporaryDirectory(prefix="iam-auditor-lambda-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work)
        target = work / "package"
        install(wheel, target)
        unzipped = write_zip(target, zip_path)

    zipped = zip_path.stat().st_size
    print(
        f"{display(zip_path)}: {mib(zipped)} zipped, {mib(unzipped)} unzipped "
        f"(Lambda's limit: {mib(LAMBDA_UNZIPPED_LIMIT)} unzipped)"
    )
    if unzipped > LAMBDA_UNZIPPED_LIMIT:
        print(
            f"error: the unzipped package ({mib(unzipped)}) exceeds Lambda's "
            f"{mib(LAMBDA_UNZIPPED_LIMIT)} limit",
            file=sys.stderr,
        )
        return 1
    return 0


def build_wheel(work: Path, parts: Sequence[str] = SOURCE_PARTS) -> Path:
    """Build the project's wheel from a clean copy of ``parts``; return the wheel's path."""
    source = work / "source"
    for part in parts:
        origin = ROOT / part
        if origin.is_dir():
            shutil.copytree(
                origin, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            (source / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / part)
    wheels = work / "wheel"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels)]
    if has_build_backend():
        # Saves downloading setuptools into an isolated build environment on every build.
        command.append("--no-build-isolation")
    run([*command, str(source)])
    (wheel,) = wheels.glob("iam_auditor-*.whl")
    return wheel


def has_build_backend() -> bool:
    """Whether this interpreter has a setuptools recent enough to build the wheel itself."""
    try:
        version = importlib.metadata.version("setuptools")
        importlib.metadata.version("wheel")
    except importlib.metadata.PackageNotFoundError:
        return False
    major = version.split(".", 1)[0]
    return major.isdigit() and int(major) >= MIN_SETUPTOOLS


def install(wheel: Path, target: Path) -> None:
    """Install ``wheel`` and its runtime dependencies into ``target`` for Lambda's platform."""
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
            # Bytecode compiled by the builder's Python would be ignored by 3.12.
            "--no-compile",
            str(wheel),
        ]
    )


def in_zip(name: str) -> bool:
    """Whether the installed file ``name`` (a POSIX path relative to the target) is zipped.

    Applies as well to a wheel's file list, which is the installed project's.
    """
    parts = PurePosixPath(name).parts
    if "__pycache__" in parts or any(parts[: len(left)] == left for left in LEFT_OUT):
        return False
    return not (parts[0] in TESTS_STRIPPED_FROM and "tests" in parts[1:-1])


def files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` that goes into the zip, in a stable order."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and in_zip(path.relative_to(root).as_posix()):
            yield path


def write_zip(root: Path, zip_path: Path) -> int:
    """Zip everything under ``root`` into ``zip_path``; return the total unzipped size."""
    total = 0
    partial = zip_path.with_name(zip_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files(root):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            # Lambda runs the code as another user than the one who unpacks it: world-readable.
            info.external_attr = 0o100644 << 16
            data = path.read_bytes()
            total += len(data)
            archive.writestr(info, data)
    partial.replace(zip_path)
    return total


def run(command: list[str]) -> None:
    """Run ``command``; exit with its status, after saying which step failed, if it fails."""
    completed = subprocess.run(command, check=False)  # noqa: S603 - our own fixed argv
    if completed.returncode != 0:
        print(f"error: {' '.join(command[:5])} ... failed", file=sys.stderr)
        raise SystemExit(completed.returncode)


def mib(size: int) -> str:
    """``size`` bytes in MB (MiB, as Lambda counts its limits), one decimal."""
    return f"{size / (1024 * 1024):.1f} MB"


def display(path: Path) -> str:
    """``path`` relative to the repository when inside it, for shorter messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
