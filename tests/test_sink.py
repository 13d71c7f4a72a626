"""LocalSink: owner-only modes, atomic replacement, nothing half-written, no temp left, even
when a renderer streaming into it breaks part-way."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import sink as sink_module
from auditor.sink import LocalSink, Sink, chunks


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_022")
def test_writes_files_0600_in_a_new_0700_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "reports"
    written = LocalSink(target).write({"report.json": b"{}\n", "report.html": b"<p>x</p>"})
    assert written == [target / "report.json", target / "report.html"]
    assert (target / "report.json").read_bytes() == b"{}\n"
    assert (target / "report.html").read_bytes() == b"<p>x</p>"
    assert _mode(target) == 0o700
    assert all(_mode(p) == 0o600 for p in written)
    assert sorted(os.listdir(target)) == ["report.html", "report.json"]


def test_directory_is_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o277)  # would leave a created directory unusable (0400)
    try:
        LocalSink(tmp_path / "out").write({"report.json": b"1"})
    finally:
        os.umask(old)
    assert _mode(tmp_path / "out") == 0o700
    assert _mode(tmp_path / "out" / "report.json") == 0o600


def test_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o750)
    LocalSink(tmp_path).write({"report.csv": b"a,b\r\n"})
    assert _mode(tmp_path) == 0o750
    assert _mode(tmp_path / "report.csv") == 0o600


def test_replaces_previous_report_and_its_loose_mode(tmp_path: Path) -> None:
    old = tmp_path / "report.json"
    old.write_bytes(b"old")
    old.chmod(0o644)
    LocalSink(tmp_path).write({"report.json": b"new"})
    assert old.read_bytes() == b"new"
    assert _mode(old) == 0o600
    assert os.listdir(tmp_path) == ["report.json"]


def test_replaces_a_symlink_rather_than_writing_through_it(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"do not touch")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").symlink_to(elsewhere)
    LocalSink(out).write({"report.json": b"new"})
    assert elsewhere.read_bytes() == b"do not touch"
    assert not (out / "report.json").is_symlink()
    assert (out / "report.json").read_bytes() == b"new"


def _previous(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_bytes(b"previous json")
    (tmp_path / "report.csv").write_bytes(b"previous csv")


def _assert_previous_intact(tmp_path: Path) -> None:
    assert (tmp_path / "report.json").read_bytes() == b"previous json"
    assert (tmp_path / "report.csv").read_bytes() == b"previous csv"
    assert sorted(os.listdir(tmp_path)) == ["report.csv", "report.json"]  # no temp left


def test_failed_rename_leaves_previous_report_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _previous(tmp_path)

    def fail(*_args: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        LocalSink(tmp_path).write({"report.json": b"new json", "report.csv": b"new csv"})
    _assert_previous_intact(tmp_path)


def test_failed_fsync_leaves_previous_report_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _previous(tmp_path)

    def fail(_fd: int) -> None:
        raise OSError("EIO")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="EIO"):
        LocalSink(tmp_path).write({"report.json": b"new json"})
    _assert_previous_intact(tmp_path)


def test_failure_on_a_later_file_replaces_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All files are staged before the first rename: a run never mixes old and new."""
    _previous(tmp_path)
    real = sink_module.LocalSink._write_temp
    calls: list[str] = []

    def flaky(self: LocalSink, name: str, content: bytes) -> str:
        calls.append(name)
        if name == "report.csv":
            raise OSError("No space left on device")
        return real(self, name, content)

    monkeypatch.setattr(sink_module.LocalSink, "_write_temp", flaky)
    with pytest.raises(OSError, match="No space left"):
        LocalSink(tmp_path).write({"report.json": b"new json", "report.csv": b"new csv"})
    assert calls == ["report.json", "report.csv"]
    _assert_previous_intact(tmp_path)


def test_failure_mid_write_removes_that_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that dies part-way (a full disk) leaves neither a partial file nor a temp."""
    _previous(tmp_path)

    real_fdopen = os.fdopen
    opened: list[str] = []

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_fdopen(fd, mode, *args, **kwargs)
        opened.append(mode)

        class Failing:
            def __enter__(self) -> Failing:
                return self

            def __exit__(self, *exc: object) -> None:
                handle.close()

            def write(self, data: bytes) -> int:
                handle.write(data[:3])
                raise OSError("No space left on device")

            def flush(self) -> None:  # pragma: no cover - never reached
                handle.flush()

            def fileno(self) -> int:
                return int(handle.fileno())

        return Failing()

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(OSError, match="No space left"):
        LocalSink(tmp_path).write({"report.json": b"new json"})
    assert opened == ["wb"]
    _assert_previous_intact(tmp_path)


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../report.json", "a/b.json", "/etc/passwd", "a\x00b"]
)
def test_rejects_names_that_are_not_plain(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        LocalSink(tmp_path / "out").write({name: b"x"})
    assert not (tmp_path / "out").exists()  # rejected before anything was created


def test_directory_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        LocalSink(tmp_path / "taken").write({"report.json": b"x"})


def test_write_nothing_creates_directory_only(tmp_path: Path) -> None:
    assert LocalSink(tmp_path / "empty").write({}) == []
    assert (tmp_path / "empty").is_dir()


def test_local_sink_is_a_sink(tmp_path: Path) -> None:
    sink: Sink = LocalSink(tmp_path)
    assert [str(p) for p in sink.write({"report.json": b"x"})] == [str(tmp_path / "report.json")]


@pytest.fixture
def second_rename_fails(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the second ``os.replace`` fail with EIO; the names renamed to, in call order."""
    real = os.replace
    calls: list[str] = []

    def flaky(src: Any, dst: Any) -> None:
        calls.append(Path(dst).name)
        if len(calls) == 2:
            raise OSError("EIO")
        real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    return calls


def test_failed_second_rename_puts_the_first_back(
    tmp_path: Path, second_rename_fails: list[str]
) -> None:
    """report.json is replaced, report.csv's rename fails: report.json is restored, same inode
    and mtime, and report.html (new in this run) does not appear."""
    _previous(tmp_path)
    os.utime(tmp_path / "report.json", ns=(10**18, 10**18))
    before = (tmp_path / "report.json").stat()
    with pytest.raises(OSError, match="EIO"):
        LocalSink(tmp_path).write(
            {"report.json": b"new json", "report.csv": b"new csv", "report.html": b"new"}
        )
    assert second_rename_fails[:2] == ["report.json", "report.csv"]
    _assert_previous_intact(tmp_path)
    after = (tmp_path / "report.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.usefixtures("second_rename_fails")
def test_failed_rename_removes_a_report_that_is_new_in_this_run(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="EIO"):
        LocalSink(tmp_path).write({"report.json": b"new json", "report.csv": b"new csv"})
    assert os.listdir(tmp_path) == []


# --- produced files (renderers' streams) ---------------------------------------------------


def _produced(*chunks: bytes) -> Callable[[], Iterator[bytes]]:
    def produce() -> Iterator[bytes]:
        yield from chunks

    return produce


class HalfWay:
    """A renderer that yields ``good`` chunks, then raises: a bug met part-way through."""

    def __init__(self, good: int = 2) -> None:
        self.good = good
        self.closed = False

    def __call__(self) -> Iterator[bytes]:
        try:
            for i in range(self.good):
                yield f"chunk {i}\n".encode()
            raise RuntimeError("renderer broke half-way")
        finally:
            self.closed = True


def test_streams_produced_files_chunk_by_chunk(tmp_path: Path) -> None:
    calls: list[str] = []

    def produce() -> Iterator[bytes]:
        calls.append("csv")
        yield b"\xef\xbb\xbf"
        yield b"a,b\r\n"
        yield b""
        yield b"1,2\r\n"

    written = LocalSink(tmp_path).write({"report.json": b"{}\n", "report.csv": produce})
    assert written == [tmp_path / "report.json", tmp_path / "report.csv"]
    assert (tmp_path / "report.csv").read_bytes() == b"\xef\xbb\xbfa,b\r\n1,2\r\n"
    assert (tmp_path / "report.json").read_bytes() == b"{}\n"
    assert calls == ["csv"]  # rendered once, when written
    assert _mode(tmp_path / "report.csv") == 0o600


@pytest.mark.parametrize("broken", ["report.json", "report.csv", "report.html"])
def test_renderer_failing_half_way_replaces_nothing(tmp_path: Path, broken: str) -> None:
    """Whichever file's stream breaks - first, middle, last - every previous report stays
    as it was, no temp file is left, and a file that would have been new does not appear."""
    _previous(tmp_path)
    renderer = HalfWay()
    files: dict[str, Any] = {
        "report.json": _produced(b"new ", b"json"),
        "report.csv": _produced(b"new csv"),
        "report.html": _produced(b"<p>new</p>"),
    }
    files[broken] = renderer
    with pytest.raises(RuntimeError, match="half-way"):
        LocalSink(tmp_path).write(files)
    assert renderer.closed
    _assert_previous_intact(tmp_path)


def test_disk_failing_mid_stream_ends_the_renderer_and_replaces_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _previous(tmp_path)
    renderer = HalfWay(good=10)
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle: Any) -> None:
            self.handle = handle
            self.writes = 0

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.writes += 1
            if self.writes == 3:
                raise OSError("No space left on device")
            return int(self.handle.write(data))

        def flush(self) -> None:  # pragma: no cover - never reached
            self.handle.flush()

        def fileno(self) -> int:
            return int(self.handle.fileno())

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space left"):
        LocalSink(tmp_path).write({"report.json": renderer})
    assert renderer.closed  # not left suspended holding what it renders from
    _assert_previous_intact(tmp_path)


def test_chunks_of_whole_bytes_and_of_a_producer() -> None:
    assert list(chunks(b"whole")) == [b"whole"]
    assert list(chunks(_produced(b"a", b"b"))) == [b"a", b"b"]
    # A producer may return any iterable, not only a generator.
    assert list(chunks(lambda: [b"x", b"y"])) == [b"x", b"y"]
