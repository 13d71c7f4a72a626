"""Refuse to start ``make test-future`` unless its clock really is shifted.

``LD_PRELOAD`` of a library that is missing or cannot load is only a warning from the
dynamic linker: the suite would then run on today's date, pass, and prove nothing. Run with
the environment of the shifted suite, this checks that Python sees the wall clock at least
``min_days`` ahead of ``real_epoch`` (the caller's own ``date +%s``), that the monotonic
clock is the real one, and that ``time.sleep`` works (scripts/faketime/sitecustomize.py).

    python scripts/faketime/check_clock.py REAL_EPOCH MIN_DAYS
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

DAY_S = 86_400


def main(argv: list[str]) -> int:
    """Exit 0 when the clock is shifted as wanted; else one line on stderr and exit 1."""
    real_epoch, min_days = float(argv[1]), int(argv[2])
    now = time.time()
    shift_days = (now - real_epoch) / DAY_S
    if shift_days < min_days:
        print(
            f"check_clock: the wall clock is {shift_days:.1f} days ahead, not {min_days}: "
            "libfaketime is not loaded (is Debian's faketime package installed?)",
            file=sys.stderr,
        )
        return 1
    # A faked monotonic clock makes every timed lock wait hang (see sitecustomize.py); the
    # kernel's uptime is the real one to compare with.
    uptime = Path("/proc/uptime")
    if uptime.exists() and abs(time.monotonic() - float(uptime.read_text().split()[0])) > DAY_S:
        print("check_clock: the monotonic clock is shifted too", file=sys.stderr)
        return 1
    start = time.monotonic()
    try:
        time.sleep(0.01)
    except OSError as error:
        print(
            f"check_clock: time.sleep fails ({error}): scripts/faketime is not on PYTHONPATH",
            file=sys.stderr,
        )
        return 1
    if not 0.005 < time.monotonic() - start < 5:
        print("check_clock: time.sleep(0.01) did not sleep about 0.01 s", file=sys.stderr)
        return 1
    shifted = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
    print(f"check_clock: the suite runs at {shifted} ({shift_days:.0f} days ahead)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
