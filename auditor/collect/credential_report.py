"""The IAM credential report: generate it, wait for it, download it and parse the CSV.

``CredentialReportJob`` starts the generation early so other sources are read meanwhile,
then polls within a bounded wait. Parsing never crashes on a cell: anything unreadable
becomes a note in that row's ``problems``, so the checks report ERROR for that user instead
of guessing.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.common import SourceError, as_source_error, as_utc, error_code, one_line
from auditor.snapshot import AccessKeyState, CredentialReport, CredentialRow, SigningCertState

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

GENERATE = "iam:GenerateCredentialReport"
GET = "iam:GetCredentialReport"
ROOT_USER = "<root_account>"
# AWS hands back the cached report for up to four hours after generating it; older than
# that, GenerateCredentialReport builds a new one.
MAX_REPORT_AGE = timedelta(hours=4)

# The 22 columns AWS documents, in its order; anything else is ignored (and said so).
COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    *(
        f"access_key_{n}_{part}"
        for n in (1, 2)
        for part in (
            "active",
            "last_rotated",
            "last_used_date",
            "last_used_region",
            "last_used_service",
        )
    ),
    *(f"cert_{n}_{part}" for n in (1, 2) for part in ("active", "last_rotated")),
)

# Cell values AWS writes for "nothing to report" in one column or another.
_ABSENT = frozenset({"N/A", "no_information", "not_supported"})
_TRUE = "true"
_FALSE = "false"

# GenerateCredentialReport's "slow down" and GetCredentialReport's "not yet".
_RETRY_GENERATE = frozenset({"LimitExceeded", "LimitExceededException"})
_RETRY_GET = frozenset({"ReportInProgress"})
_REGENERATE = frozenset({"ReportNotPresent", "ReportExpired"})


# --- parsing -----------------------------------------------------------------------------


class _Row:
    """Reads one CSV row's cells by column name, collecting problems instead of raising."""

    __slots__ = ("cells", "columns", "problems")

    def __init__(self, cells: Sequence[str], columns: Mapping[str, int], width: int) -> None:
        self.cells = cells
        self.columns = columns
        self.problems: list[str] = []
        # A row of the wrong length has shifted or lost cells: no cell of it can be trusted
        # to be in its column, so the row is a problem however its cells read.
        if len(cells) != width:
            self.problems.append(f"row has {len(cells)} cells; the header has {width} columns")

    def raw(self, column: str) -> str | None:
        index = self.columns.get(column)
        if index is None:
            self.problems.append(f"{column}: column missing from the report")
            return None
        if index >= len(self.cells):
            return None  # a short row: already a problem of the whole row
        return self.cells[index].strip()

    def _bad(self, column: str, value: str) -> None:
        self.problems.append(f"{column}: cannot parse {one_line(value, 40)!r}")

    def date(self, column: str, *, required: bool = False) -> datetime | None:
        """A timestamp; ``required`` for columns AWS always fills (an absent marker is bad)."""
        value = self.raw(column)
        if value is None:
            return None
        if value in _ABSENT:
            if required:
                self.problems.append(f"{column}: expected a date, got {value!r}")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self._bad(column, value)
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def flag(self, column: str) -> bool | None:
        """``true``/``false``; the "absent" markers give None (root's password_enabled)."""
        value = self.raw(column)
        if value is None or value in _ABSENT:
            return None
        lowered = value.lower()
        if lowered == _TRUE:
            return True
        if lowered == _FALSE:
            return False
        self._bad(column, value)
        return None

    def strict_flag(self, column: str) -> bool:
        """A column that must be ``true``/``false``; anything else is a problem (False)."""
        value = self.raw(column)
        if value is None:
            return False
        lowered = value.lower()
        if lowered == _TRUE:
            return True
        if lowered != _FALSE:
            self._bad(column, value)
        return False

    def text(self, column: str) -> str | None:
        value = self.raw(column)
        if value is None or value in _ABSENT or not value:
            return None
        return value


def _parse_row(cells: Sequence[str], columns: Mapping[str, int], width: int) -> CredentialRow:
    row = _Row(cells, columns, width)
    user = row.raw("user") or ""
    arn = row.raw("arn") or ""
    is_root = user == ROOT_USER
    if not user or not arn:
        row.problems.append("user and arn must both be present")
    keys: list[AccessKeyState] = []
    for slot in (1, 2):
        prefix = f"access_key_{slot}_"
        active = row.strict_flag(prefix + "active")
        # An active key always has a creation date; without one its age is unknown.
        rotated = row.date(prefix + "last_rotated", required=active)
        last_used = row.date(prefix + "last_used_date")
        region = row.text(prefix + "last_used_region")
        service = row.text(prefix + "last_used_service")
        # An empty slot reads "false, N/A"; only slots holding a key are kept.
        if active or rotated is not None:
            keys.append(AccessKeyState(slot, active, rotated, last_used, region, service))
    certs: list[SigningCertState] = []
    for slot in (1, 2):
        prefix = f"cert_{slot}_"
        active = row.strict_flag(prefix + "active")
        # Not required: some sources write an active certificate's date as N/A.
        rotated = row.date(prefix + "last_rotated")
        if active or rotated is not None:
            certs.append(SigningCertState(slot, active, rotated))
    return CredentialRow(
        user=user,
        arn=arn,
        user_creation_time=row.date("user_creation_time", required=True),
        # Only the root row may say not_supported; a user has a password or not.
        password_enabled=row.strict_flag("password_enabled")
        if not is_root
        else row.flag("password_enabled"),
        password_last_used=row.date("password_last_used"),
        password_last_changed=row.date("password_last_changed"),
        password_next_rotation=row.date("password_next_rotation"),
        mfa_active=row.strict_flag("mfa_active"),
        access_keys=tuple(keys),
        signing_certs=tuple(certs),
        is_root=is_root,
        problems=tuple(row.problems),
    )


def parse_credential_report(
    content: bytes | str, generated_at: datetime | None = None
) -> CredentialReport:
    """Parse the report's CSV (as ``GetCredentialReport`` returns it) into rows.

    Columns are found by header name, so AWS reordering columns is harmless and a column
    it adds is skipped and named in ``ignored_columns``. Empty slots (no key, no
    certificate) are left out of ``access_keys`` and ``signing_certs``; unreadable cells,
    missing columns and rows of the wrong length are listed in the row's ``problems``.
    Raises ``ValueError`` only when the text has no ``user`` and ``arn`` header at all.
    """
    reader, header = _read_header(content)
    columns = {name.strip(): index for index, name in enumerate(header)}
    known = frozenset(COLUMNS)
    ignored = tuple(one_line(name, 60) for name in columns if name and name not in known)
    width = len(header)
    rows = tuple(_parse_row(cells, columns, width) for cells in reader if any(cells))
    return CredentialReport(generated_at=as_utc(generated_at), rows=rows, ignored_columns=ignored)


def _read_header(content: bytes | str) -> tuple[Iterator[list[str]], list[str]]:
    """A CSV reader past the header, and the header; ``ValueError`` as for parsing."""
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise ValueError("credential report is empty")
    names = {name.strip() for name in header}
    if "user" not in names or "arn" not in names:
        raise ValueError("credential report has no 'user' and 'arn' columns")
    return reader, header


class _Download:
    """A downloaded report, parsed only when it is used.

    Its header is checked at once, so a report that cannot be parsed fails where it always
    did; its rows are read only when the report is returned. A stale cached report that is
    sent back for regeneration, and then replaced by the new one, is never parsed at all.
    """

    __slots__ = ("content", "generated_at")

    def __init__(self, content: bytes | str, generated_at: datetime | None) -> None:
        _read_header(content)
        self.content = content
        self.generated_at = as_utc(generated_at)

    def parse(self) -> CredentialReport:
        return parse_credential_report(self.content, self.generated_at)


# --- fetching ----------------------------------------------------------------------------


class CredentialReportJob:
    """Generate, wait for and download the credential report, in two steps.

    ``start`` asks AWS to generate the report and returns at once; ``result`` polls until it
    is ready, with exponential back-off (``initial_delay`` doubling up to ``max_delay``) and
    at most ``max_wait`` seconds of waiting, then downloads and parses it. A report older
    than ``MAX_REPORT_AGE`` (by ``now``, the wall clock) that AWS served from its cache -
    no generation was seen to start in this run - is regenerated once within the same wait;
    if AWS still hands back an old one, it is returned as it is and its ``generated_at``
    tells its age. ``sleep``, ``clock`` and ``now`` are injectable so tests need not wait.
    Every failure leaves ``result`` as a ``SourceError``: AWS's error, or ``Timeout`` when
    the report was still being generated when the wait ran out.
    """

    def __init__(
        self,
        iam: IAMClient,
        *,
        max_wait: float = 120.0,
        initial_delay: float = 0.5,
        max_delay: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        progress: Callable[[str], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._iam = iam
        self._now = now
        # Whether AWS was seen building a report for this run (STARTED / INPROGRESS), and
        # whether a stale cached one was already sent back for regeneration.
        self._generated_here = False
        self._regenerated = False
        self._stale: _Download | None = None
        self._max_wait = max_wait
        self._initial_delay = initial_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._clock = clock
        self._progress = progress or (lambda _line: None)
        self._state: str | None = None
        self._failure: SourceError | None = None
        self._last_error: str | None = None

    def start(self) -> None:
        """Ask AWS to start generating the report (one call); never raises."""
        self._progress("generating credential report…")
        try:
            self._generate()
        except SourceError as exc:
            self._failure = exc

    def _generate(self) -> None:
        try:
            self._state = self._iam.generate_credential_report()["State"]
            if self._state in {"STARTED", "INPROGRESS"}:
                self._generated_here = True
        except ClientError as exc:
            if error_code(exc) not in _RETRY_GENERATE:
                raise as_source_error(GENERATE, exc) from exc
            self._last_error = error_code(exc)
        except BotoCoreError as exc:
            raise as_source_error(GENERATE, exc) from exc

    def _download(self) -> _Download | None:
        try:
            answer = self._iam.get_credential_report()
        except ClientError as exc:
            code = error_code(exc)
            if code in _RETRY_GET:
                self._last_error = code
                return None
            if code in _REGENERATE:
                # Gone between COMPLETE and the download (it expires after 4 hours).
                self._last_error = code
                self._state = None
                return None
            raise as_source_error(GET, exc) from exc
        except BotoCoreError as exc:
            raise as_source_error(GET, exc) from exc
        try:
            return _Download(answer["Content"], answer.get("GeneratedTime"))
        except (KeyError, ValueError) as exc:
            raise SourceError(GET, "MalformedResponse", one_line(str(exc))) from exc

    def _stale_from_cache(self, report: _Download) -> bool:
        """Whether ``report`` is past AWS's 4-hour cache and worth one regeneration.

        A report whose generation this run saw start is as new as AWS makes it: asking
        again would only repeat the answer (an emulator's fixed date, a skewed clock).
        """
        if self._generated_here or self._regenerated or report.generated_at is None:
            return False
        return self._now() - report.generated_at > MAX_REPORT_AGE

    def result(self) -> CredentialReport:
        """Wait (bounded) for the report and return it parsed; ``SourceError`` on failure."""
        if self._failure is not None:
            raise self._failure
        try:
            return self._wait()
        except SourceError:
            # Regenerating a stale report failed or ran out of time: old data whose age
            # the report states beats no data at all.
            if self._stale is not None:
                return self._stale.parse()
            raise

    def _wait(self) -> CredentialReport:
        waited = 0.0
        delay = self._initial_delay
        began = self._clock()
        while True:
            if self._state != "COMPLETE":
                self._generate()
            if self._state == "COMPLETE":
                report = self._download()
                if report is not None and not self._stale_from_cache(report):
                    return report.parse()
                if report is not None:
                    self._progress("the credential report is over 4 hours old; regenerating…")
                    self._regenerated = True
                    self._stale = report
                    # Asked again at once (top of the loop): AWS starts a new report when
                    # the cached one has aged past four hours.
                    self._state = None
                    continue
            # Bound both the sum of our own sleeps and the clock, so neither a fast fake
            # clock nor a slow real one can make the wait unbounded.
            elapsed = max(waited, self._clock() - began)
            if elapsed + delay > self._max_wait:
                operation = GET if self._state == "COMPLETE" else GENERATE
                building = self._state in {"STARTED", "INPROGRESS"} or (
                    self._last_error in _RETRY_GET
                )
                raise SourceError(
                    operation,
                    self._last_error or "Timeout",
                    f"credential report {'still being generated' if building else 'not ready'} "
                    f"after {elapsed:.0f} s (the wait is bounded at {self._max_wait:g} s; "
                    f"last state {self._state or 'unknown'}); its checks could not look",
                )
            self._progress(f"waiting for the credential report (retry in {delay:g} s)…")
            self._sleep(delay)
            waited += delay
            delay = min(delay * 2, self._max_delay)


def fetch_credential_report(
    iam: IAMClient,
    *,
    max_wait: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[str], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CredentialReport:
    """Generate, wait for and parse the credential report in one go (see the job)."""
    job = CredentialReportJob(
        iam, max_wait=max_wait, sleep=sleep, clock=clock, progress=progress, now=now
    )
    job.start()
    return job.result()
