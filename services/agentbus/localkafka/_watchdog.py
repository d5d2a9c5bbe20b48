"""Stop the broker when the Python process that started it dies, even by ``kill -9``.

Run as a script (``python -I _watchdog.py <broker pid> <pipe fd>``), not
imported: it needs only the standard library and starts in milliseconds.

The launcher keeps the write end of a pipe whose read end this process
holds. It writes one byte before it stops or hands off the broker itself
("disarm"); if the read instead returns end-of-file, the launcher died
without cleaning up, and the watchdog sends the broker SIGTERM, then SIGKILL.
"""

import contextlib
import os
import signal
import sys
import time

_GRACE_SECONDS = 15.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str]) -> int:
    """Wait for the launcher to disarm or die; stop the broker in the second case."""
    pid, fd = int(argv[1]), int(argv[2])
    try:
        disarmed = os.read(fd, 1) != b""
    except OSError:
        disarmed = False
    if disarmed or not _alive(pid):
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_SECONDS
    while time.monotonic() < deadline:
        if not _alive(pid):
            return 0
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(main(sys.argv))
