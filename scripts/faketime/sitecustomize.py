"""``time.sleep`` that works under libfaketime 0.9.10 with the monotonic clock left real.

``make test-future`` runs the suite with the wall clock a year ahead through libfaketime
(``LD_PRELOAD``), and puts this directory on ``PYTHONPATH`` so that every Python process of
the run (pytest, its xdist workers, the CLI the end-to-end tests start) imports this module
at start-up. It works around two bugs of Debian 12's libfaketime 0.9.10, one per setting of
``FAKETIME_DONT_FAKE_MONOTONIC``:

- monotonic clock faked (the default): Python's timed lock waits (``Event.wait(t)``,
  ``Lock.acquire(timeout=t)``, ``queue.get(timeout=t)``) call glibc's ``sem_clockwait``
  with a deadline on the faked monotonic clock. libfaketime does not intercept
  ``sem_clockwait``, so the kernel waits until the real monotonic clock reaches it: a year.
  The suite hangs.
- monotonic clock real (``FAKETIME_DONT_FAKE_MONOTONIC=1``, what the run uses): lock waits
  are right, but ``time.sleep`` - ``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ...)``
  in CPython 3.11 - is rewritten by libfaketime as if the deadline were on the faked wall
  clock; the kernel gets a negative time and ``time.sleep`` raises ``OSError: [Errno 22]``.
  So does everything that sleeps: ``subprocess.Popen.wait(timeout)``, botocore's retry
  back-off. (Fixed upstream after 0.9.10: an absolute monotonic sleep is left untouched
  when the monotonic clock is not faked.)

This module replaces ``time.sleep`` with a wait on ``select``, whose relative timeout
libfaketime passes through unchanged, and only when libfaketime is preloaded with the
monotonic clock real; anywhere else importing it changes nothing. What the suite tests is
unchanged: code still sleeps as long as it asked to, and sees the shifted wall clock.
"""

from __future__ import annotations

import os
import select
import time
from typing import SupportsIndex


def _select_sleep(secs: float | SupportsIndex, /) -> None:
    """Sleep ``secs`` like ``time.sleep``, through ``select`` (retried on EINTR, PEP 475)."""
    seconds = float(secs)
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    remaining = seconds
    while remaining > 0:
        select.select([], [], [], remaining)
        remaining = deadline - time.monotonic()


if (
    "libfaketime" in os.environ.get("LD_PRELOAD", "")
    and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1"
):
    time.sleep = _select_sleep
