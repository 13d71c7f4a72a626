"""Sinks: where rendered reports go. Only sinks write; renderers return bytes.

``LocalSink`` writes into a directory, atomically and owner-only: each file is written to
a temporary file in the same directory (mode 0600 from its creation), flushed and fsynced,
then renamed over the final name with ``os.replace``. All temporary files of one ``write``
are completed before the first rename, so a failure while writing any of them leaves every
previous report file exactly as it was and no temporary file behind; a rename that fails
after others succeeded puts the replaced files back from hard links taken beforehand.
``S3Sink`` puts objects into an S3 bucket, always with server-side encryption, and can
refuse to overwrite (dated keys are written once). ``Sink`` is the protocol both implement.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

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
        # Hard links to the previous reports: if a later rename fails, the files already
        # replaced are put back, so a run never leaves a mix of old and new reports.
        backups: dict[Path, str] = {}
        renamed: list[Path] = []
        try:
            for name, content in files.items():
                staged.append((self._write_temp(name, content), self.directory / name))
            for _, final in staged:
                backup = self._backup(final)
                if backup is not None:
                    backups[final] = backup
            for temp, final in staged:
                os.replace(temp, final)
                renamed.append(final)
        except BaseException:
            self._roll_back(renamed, backups)
            for temp, final in staged:
                if final not in renamed:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(temp)
            raise
        for backup in backups.values():
            with contextlib.suppress(OSError):
                os.unlink(backup)
        self._sync_directory()
        return [final for _, final in staged]

    def _backup(self, final: Path) -> str | None:
        """A hard link to the report at ``final`` (None when there is none, or no links)."""
        if not final.is_file() or final.is_symlink():
            return None
        # os.link never overwrites: a name already taken is an error, not a clobber.
        backup = str(self.directory / f".{final.name}.{secrets.token_hex(8)}.bak")
        try:
            os.link(final, backup)
        except OSError:
            return None  # a file system without hard links: no roll-back, as before
        return backup

    @staticmethod
    def _roll_back(renamed: Sequence[Path], backups: Mapping[Path, str]) -> None:
        """Put back what ``renamed`` replaced: the previous file, or no file if it was new."""
        for final in reversed(renamed):
            with contextlib.suppress(OSError):
                if final in backups:
                    os.replace(backups[final], final)
                else:
                    os.unlink(final)
        for final, backup in backups.items():
            if final not in renamed:
                with contextlib.suppress(OSError):
                    os.unlink(backup)

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


# --- S3 ------------------------------------------------------------------------------------

CONTENT_TYPES: dict[str, str] = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
"""The ``Content-Type`` each report extension is stored with (others: octet-stream)."""

_KMS_ERRORS = frozenset(
    {
        "KMS.AccessDeniedException",
        "KMS.DisabledException",
        "KMS.InvalidKeyUsageException",
        "KMS.KMSInvalidStateException",
        "KMS.NotFoundException",
        "KMS.InvalidStateException",
        "KMS.UnrecognizedClientException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)

# What each S3 error code means for a report writer, said once so every message is clear.
_HINTS = {
    "NoSuchBucket": "the report bucket does not exist",
    "AccessDenied": "permission denied: the writer needs s3:PutObject on this key",
    "AllAccessDisabled": "all access to the bucket is disabled",
    "PreconditionFailed": "the object already exists and is never overwritten",
    "ConditionalRequestConflict": "another writer created the object at the same time",
}
_KMS_HINT = "the KMS key cannot be used: the writer needs kms:GenerateDataKey on it"


class SinkError(Exception):
    """A report could not be stored; ``str()`` names the bucket, key and error code."""


def content_type(name: str) -> str:
    """The ``Content-Type`` for a report file ``name``, from its extension."""
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def describe_s3_error(exc: BaseException, bucket: str, key: str | None, doing: str) -> str:
    """One line: what failed (``doing``, e.g. "writing"), where, the code and what it means."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 (boto3 only with S3)

    where = f"s3://{bucket}/{key}" if key is not None else f"bucket {bucket!r}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error") or {}
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or "").strip()
        hint = _KMS_HINT if code in _KMS_ERRORS or code.startswith("KMS") else _HINTS.get(code)
        text = f"{doing} {where} failed: {code}"
        if hint:
            text += f" ({hint})"
        if message and message.lower() not in text.lower():
            text += f": {message}"
        return text
    return f"{doing} {where} failed: {type(exc).__name__}: {exc}"


class S3Sink:
    """Writes report files as objects ``PREFIX/NAME`` in an S3 bucket, always encrypted.

    Every object is put with server-side encryption: SSE-KMS with ``kms_key_id`` when one is
    given, else SSE-S3 (``AES256``). With ``overwrite=False`` each put is conditional
    (``If-None-Match: *``), so an object that already exists is never replaced: S3 answers
    ``PreconditionFailed`` and ``write`` raises ``SinkError``. Each object is written whole
    or not at all (S3 puts are atomic), but a set of files is not: a failure part-way leaves
    the earlier objects of the set written, which is why dated keys are written before the
    ``latest/`` ones. ``client`` is a boto3 S3 client.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str,
        *,
        kms_key_id: str | None = None,
        overwrite: bool = True,
    ) -> None:
        if not bucket:
            raise ValueError("S3Sink needs a bucket name")
        self.client = client
        self.bucket = bucket
        # Keys never start with or double a slash: S3 would keep an empty path segment.
        self.prefix = "/".join(part for part in prefix.split("/") if part)
        self.kms_key_id = kms_key_id or None
        self.overwrite = overwrite

    def key(self, name: str) -> str:
        """The object key ``name`` is stored under."""
        return f"{self.prefix}/{name}" if self.prefix else name

    def uri(self, name: str) -> str:
        """The ``s3://bucket/key`` location of ``name``."""
        return f"s3://{self.bucket}/{self.key(name)}"

    def write(self, files: Mapping[str, bytes]) -> list[str]:
        """Put every file; return their ``s3://`` URIs in ``files``' order.

        Raises ``SinkError`` on the first object that cannot be written (missing bucket,
        access denied, unusable KMS key, an existing object with ``overwrite=False``).
        """
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        for name in files:
            _check_name(name)
        written: list[str] = []
        for name, content in files.items():
            key = self.key(name)
            params: dict[str, Any] = {
                "Bucket": self.bucket,
                "Key": key,
                "Body": content,
                "ContentType": content_type(name),
            }
            if self.kms_key_id:
                params["ServerSideEncryption"] = "aws:kms"
                params["SSEKMSKeyId"] = self.kms_key_id
            else:
                params["ServerSideEncryption"] = "AES256"
            if not self.overwrite:
                params["IfNoneMatch"] = "*"
            try:
                self.client.put_object(**params)
            except (ClientError, BotoCoreError) as exc:
                raise SinkError(describe_s3_error(exc, self.bucket, key, "writing")) from exc
            written.append(self.uri(name))
        return written
