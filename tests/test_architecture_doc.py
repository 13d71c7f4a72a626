"""docs/architecture.md's "Where things live" block names every module of the package.

The block is where a newcomer finds their way, so it is held to the tree: each module and
subpackage of ``auditor/`` has its own entry, each module of a subpackage is named in that
entry's text, and every other top-level path it names exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "auditor"
# An entry: its indentation, its name (``cli.py``, ``collect/``), then its description.
ENTRY = re.compile(r"^(?P<indent> {0,2})(?P<name>[\w./]+)\s+(?P<text>.*)$")


def _entries() -> dict[str, str]:
    """Each entry of the layout block: name -> its text, continuation lines included."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = doc.split("## Where things live", 1)[1].split("```")[1]
    entries: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        match = ENTRY.match(line)
        if match:
            prefix = "auditor/" if match["indent"] else ""
            name = prefix + match["name"]
            entries[name] = match["text"]
        elif line.strip() and name:
            entries[name] += " " + line.strip()
    return entries


def _parts(directory: Path) -> set[str]:
    """The modules and subpackages a reader of ``directory`` would see."""
    return {
        p.name + "/" if p.is_dir() else p.name
        for p in directory.iterdir()
        if p.name not in {"__init__.py", "__main__.py", "py.typed", "__pycache__"}
        and (p.is_dir() or p.suffix == ".py")
    }


def test_every_module_of_the_package_has_an_entry() -> None:
    named = {n.removeprefix("auditor/") for n in _entries() if n.startswith("auditor/")}
    named.discard("")
    assert named == _parts(PACKAGE)


@pytest.mark.parametrize(
    "subpackage", sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
)
def test_each_subpackage_entry_names_its_modules(subpackage: str) -> None:
    text = _entries()[f"auditor/{subpackage}/"]
    words = set(re.findall(r"[\w.]+", text))
    modules = {Path(name).stem.rstrip("/") for name in _parts(PACKAGE / subpackage)}
    assert modules <= words, f"{subpackage}/: not named {sorted(modules - words)}"


def test_data_entry_names_its_files() -> None:
    text = _entries()["auditor/data/"]
    assert all(p.name in text for p in (PACKAGE / "data").iterdir())


def test_top_level_entries_exist() -> None:
    top = [n for n in _entries() if not n.startswith("auditor/")]
    assert "testkit/" in top
    assert [n for n in top if not (ROOT / n).exists()] == []
