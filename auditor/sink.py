"""Sinks: where rendered reports go. Only sinks write; renderers return bytes.

``LocalSink`` writes into a directory, atomically and owner-only: each file is written to
a temporary file in the same directory (mode 0600 from its creation), flushed and fsynced,
then renamed over the final name with ``os.replace``. All temporary files of one ``write``
are completed before the first rename, so a failure while writing any of them leaves every
previous report file exactly as it was and no temporary file behind. ``Sink`` is the
protocol an S3 (or any other) sink implements.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


class Sink(Protocol):
    """Something that stores a set of report files and says where they went."""

    def write(self, files: Mapping[str, bytes]) -> Sequence[str | Path]:
        """Store ``files`` (name -> content); return their locations, in order."""
        ...


def _check_name(name: str) -> None:
    # A report file name is a plain name inside the sink's directory: a separator or a
    # dot-dot would let a caller write outside it.
    if (
        not name
        or name in {".", ".."}
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or os.sep in name
        or (os.altsep is not None and os.altsep in name)
    ):
        raise ValueError(f"report file name {name!r} must be a plain file name")


class LocalSink:
    """Writes report files into ``directory``, atomically, with mode 0600.

    The directory (and any missing parents) is created if needed; a directory this sink
    creates gets mode 0700. An existing directory keeps its mode: it is the user's.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def write(self, files: Mapping[str, bytes]) -> list[Path]:
        """Write every file atomically; return the final paths in ``files``' order."""
        for name in files:
            _check_name(name)
        self._ensure_directory()
        staged: list[tuple[str, Path]] = []
        try:
            for name, content in files.items():
                staged.append((self._write_temp(name, content), self.directory / name))
            for index, (temp, final) in enumerate(staged):
                os.replace(temp, final)
                # Renamed: no longer ours to clean up if a later rename fails.
                staged[index] = ("", final)
        except BaseException:
            for temp, _ in staged:
                if temp:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(temp)
            raise
        self._sync_directory()
        return [final for _, final in staged]

    def _ensure_directory(self) -> None:
        try:
            self.directory.mkdir(mode=DIRECTORY_MODE, parents=True)
        except FileExistsError:
            if not self.directory.is_dir():
                raise NotADirectoryError(
                    f"report directory {self.directory} exists and is not a directory"
                ) from None
            return
        # mkdir's mode is filtered by the umask; say exactly what we mean.
        os.chmod(self.directory, DIRECTORY_MODE)

    def _write_temp(self, name: str, content: bytes) -> str:
        """Write ``content`` to a fresh 0600 temp file beside ``name``; return its path."""
        # mkstemp opens with O_CREAT | O_EXCL and mode 0600, so the file is never
        # readable by others, not even between creation and a chmod.
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                if hasattr(os, "fchmod"):
                    # The umask can only have narrowed 0600; make it exactly owner read/write.
                    os.fchmod(handle.fileno(), FILE_MODE)
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        return temp

    def _sync_directory(self) -> None:
        # Make the renames durable too; not every platform can open a directory.
        try:
            fd = os.open(self.directory, os.O_RDONLY)
        except OSError:
            return
        try:
            with contextlib.suppress(OSError):
                os.fsync(fd)
        finally:
            os.close(fd)
