"""The exit status of every ``qanat`` command: one table, the same meaning in each.

======  ===============  ======================================================================
status  name             meaning
======  ===============  ======================================================================
0       ``OK``           done; every check passed, every output verified off, every row usable
1       ``FAILED``       the command ran and hit or found a failure: some rows of a file bad
                         (``et0``), a reading flagged or a device not answering (``poll``,
                         ``hil``), an output not verified off (``outputs-off``), a site not
                         pulled (``pull``), the site not made safe at start or an output not
                         read back off at the stop (``run``, ``demo``),
                         a backup, restore, token or user action refused, a wall clock
                         not confirmed (``confirm-time``: before the release floor or the
                         newest stored record)
2       ``UNUSABLE``     usage error or unusable input, nothing done: bad options; a missing,
                         unreadable or invalid site file (every command that reads one,
                         ``check-config`` included) or saved settings that no longer fit it;
                         an invalid ``SITES.toml``, weather CSV or scenario; a database that
                         does not open
130     ``INTERRUPTED``  stopped by Ctrl-C (SIGINT) before it finished
141     ``BROKEN_PIPE``  its output's reader stopped reading (``qanat … | head``): the rest
                         of the output is dropped quietly, as a shell reports SIGPIPE
======  ===============  ======================================================================

argparse exits with 2 on its own usage errors, which the table keeps. The table is
documented for operators in ``docs/operations.md`` ("Exit codes").
"""

from __future__ import annotations

__all__ = ["BROKEN_PIPE", "FAILED", "INTERRUPTED", "OK", "UNUSABLE"]

OK = 0
FAILED = 1
UNUSABLE = 2
INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader closed
