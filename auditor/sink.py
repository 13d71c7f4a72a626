"""Sinks: where rendered reports go. Only sinks write; renderers only produce bytes.

A file's ``Content`` is its bytes or a ``Chunks`` producer the sink calls as it writes.
``LocalSink`` completes every temporary file of one ``write`` (0600, fsynced) before the
first rename and puts replaced files back if a later rename fails, so a failure leaves the
previous reports exactly as they were. ``S3Sink`` always encrypts, can refuse to overwrite,
and spools every file of a ``write`` (in memory up to ``SPOOL_MEMORY``) before its first put.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias

from auditor.errors import AuditorError

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600

Chunks: TypeAlias = Callable[[], Iterable[bytes]]
"""A file rendered on demand: called once per write, it yields the file's bytes in order."""

Content: TypeAlias = bytes | Chunks
"""A file's content as a sink takes it: whole, or produced chunk by chunk when written."""


class Sink(Protocol):
    """Something that stores a set of report files and says where they went."""

    def write(self, files: Mapping[str, Content]) -> Sequence[str | Path]:
        """Store ``files`` (name -> content); return their locations, in order."""
        ...


def chunks(content: Content) -> Generator[bytes, None, None]:
    """``content``'s bytes in order: whole bytes as one chunk, else what its producer yields."""
    if isinstance(content, bytes):
        yield content
        return
    stream = iter(content())
    try:
        yield from stream
    finally:
        # A write that fails part-way leaves the renderer suspended: end it now, so what it
        # holds (a template's context, a DataFrame) is freed with the failed write.
        close = getattr(stream, "close", None)
        if close is not None:
            close()


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

    def write(self, files: Mapping[str, Content]) -> list[Path]:
        """Write every file atomically; return the final paths in ``files``' order.

        Files are rendered one after another, each straight into its temp file, and all of
        them before the first rename: a renderer that raises part-way through its stream
        replaces nothing.
        """
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

    def _write_temp(self, name: str, content: Content) -> str:
        """Stream ``content`` to a fresh 0600 temp file beside ``name``; return its path."""
        # mkstemp opens with O_CREAT | O_EXCL and mode 0600, so the file is never
        # readable by others, not even between creation and a chmod.
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                if hasattr(os, "fchmod"):
                    # The umask can only have narrowed 0600; make it exactly owner read/write.
                    os.fchmod(handle.fileno(), FILE_MODE)
                with contextlib.closing(chunks(content)) as stream:
                    for chunk in stream:
                        handle.write(chunk)
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


# A produced file up to this size is spooled in memory, a larger one to a temporary file:
# small enough that six formats of a large account add little to a Lambda's memory.
SPOOL_MEMORY = 1 << 20


class SinkError(AuditorError):
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
    or not at all (S3 puts are atomic), and every file of a set is rendered before the first
    put (``write_each``), but a set of puts is not atomic: a failure part-way leaves the
    earlier objects of the set written, which is why dated keys are written before the
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

    def write(self, files: Mapping[str, Content]) -> list[str]:
        """Put every file; return their ``s3://`` URIs in ``files``' order.

        Every file is rendered (spooled) before the first put, so a renderer that fails
        leaves the bucket as it was. Raises ``SinkError`` on the first object that cannot be
        written (missing bucket, access denied, unusable KMS key, an existing object with
        ``overwrite=False``).
        """
        return write_each([self], files)[0]

    def put(self, name: str, body: bytes | IO[bytes]) -> str:
        """Put one file, whole bytes or a readable file read from its start; return its URI."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        _check_name(name)
        key = self.key(name)
        if not isinstance(body, bytes):
            body.seek(0)
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": body,
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
        return self.uri(name)


def write_each(sinks: Sequence[S3Sink], files: Mapping[str, Content]) -> list[list[str]]:
    """Write ``files`` to each sink in turn, rendering every file once; URIs per sink.

    Produced files are spooled first, each to its own temporary file (kept in memory up to
    ``SPOOL_MEMORY``, then on disk in the system temp directory, ``/tmp`` in a Lambda), and
    put from there with a streaming body, so no report is ever whole in memory. All of them
    are spooled before the first put: a renderer that raises writes nothing, which matters
    because a dated key written once can never be written again. Then every file goes to
    the first sink, then every file to the next (a Lambda's dated keys before its
    ``latest/`` ones). The spools are gone when this returns, whatever happened.
    """
    for name in files:
        _check_name(name)
    with contextlib.ExitStack() as stack:
        bodies: dict[str, bytes | IO[bytes]] = {}
        for name, content in files.items():
            if isinstance(content, bytes):
                bodies[name] = content
                continue
            spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY))
            with contextlib.closing(chunks(content)) as stream:
                for chunk in stream:
                    spool.write(chunk)
            bodies[name] = spool
        return [[sink.put(name, body) for name, body in bodies.items()] for sink in sinks]
