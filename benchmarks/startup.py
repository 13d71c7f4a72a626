"""Start-up benchmark: how fast the light commands answer, and what they import.

``--version`` and ``checks`` must not import boto3, botocore, pandas or jinja2 and must
answer within ``--budget``; exits 1 otherwise. Details: benchmarks/README.md, "Start-up
benchmark".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CLI = Path(sys.executable).parent / "iam-auditor"
COMMANDS: tuple[tuple[str, ...], ...] = (("--version",), ("checks",), ("checks", "--json"))
HEAVY = ("boto3", "botocore", "pandas", "numpy", "jinja2")
DEFAULT_BUDGET = 0.5


@dataclass(frozen=True)
class Startup:
    """One command's start-up: median wall seconds, heavy modules, import time of the CLI."""

    command: tuple[str, ...]
    median_seconds: float
    runs: int
    heavy_imported: tuple[str, ...]
    cli_import_seconds: float | None


def imported_modules(importtime: str) -> dict[str, float]:
    """``{module: cumulative seconds}`` from ``python -X importtime``'s stderr.

    Lines read ``import time: <self us> | <cumulative us> | <indented module name>``.
    """
    out: dict[str, float] = {}
    for line in importtime.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        out[parts[2].strip()] = int(parts[1].strip()) / 1e6
    return out


def heavy_of(modules: dict[str, float]) -> tuple[str, ...]:
    """The heavy top-level packages among ``modules``, in ``HEAVY`` order."""
    tops = {name.split(".", 1)[0] for name in modules}
    return tuple(h for h in HEAVY if h in tops)


def _run(argv: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env, timeout=120)


def measure(command: Sequence[str], repeat: int) -> Startup:
    """Time ``iam-auditor COMMAND`` ``repeat`` times, then read its imports once."""
    env = dict(os.environ)
    walls = []
    for _ in range(repeat):
        began = time.perf_counter()
        _run([str(CLI), *command], env)
        walls.append(time.perf_counter() - began)
    traced = _run([sys.executable, "-X", "importtime", str(CLI), *command], env)
    modules = imported_modules(traced.stderr)
    return Startup(
        command=tuple(command),
        median_seconds=statistics.median(walls),
        runs=repeat,
        heavy_imported=heavy_of(modules),
        cli_import_seconds=modules.get("auditor.cli"),
    )


def problems(results: Sequence[Startup], budget: float) -> list[str]:
    """One line per command over ``budget`` or importing a heavy module."""
    out = []
    for r in results:
        name = " ".join(r.command)
        if r.heavy_imported:
            out.append(f"iam-auditor {name} imports {', '.join(r.heavy_imported)}")
        if r.median_seconds > budget:
            out.append(f"iam-auditor {name} takes {r.median_seconds:.2f} s (budget {budget:g} s)")
    return out


def markdown_table(results: Sequence[Startup], *, bytecode: bool) -> str:
    """The results as a Markdown table, with the kind of start measured under it."""
    lines = [
        "| command | median s | runs | `import auditor.cli` s | heavy modules imported |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        cli = f"{r.cli_import_seconds:.3f}" if r.cli_import_seconds is not None else "-"
        heavy = ", ".join(r.heavy_imported) or "none"
        lines.append(
            f"| `iam-auditor {' '.join(r.command)}` | {r.median_seconds:.3f} | {r.runs} "
            f"| {cli} | {heavy} |"
        )
    kind = "cached bytecode" if bytecode else "no bytecode written (every module compiled)"
    lines.append("")
    lines.append(f"Python {sys.version.split()[0]}, {kind}.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every light command; print the table; 1 when a problem was found."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (median)")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="seconds")
    args = parser.parse_args(argv)
    results = [measure(command, max(1, args.repeat)) for command in COMMANDS]
    print(markdown_table(results, bytecode=not os.environ.get("PYTHONDONTWRITEBYTECODE")))
    found = problems(results, args.budget)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
