"""The exit codes of `chorus`, one per kind of failure, so that scripts can tell them apart.

They are listed in `chorus --help` and in the README; a number never changes its meaning.
"""

from __future__ import annotations

OK = 0
# A check failed or the work could not be done (doctor, db current behind, a refused backup).
FAILED = 1
# The command line is wrong: an unknown option, a bad value (Click uses 2 for the same).
USAGE = 2
# A setting (environment or .env) is missing, malformed or unreadable.
SETTINGS = 3
# The database cannot be used: its URL or driver, out of reach, busy, full or read-only.
DATABASE = 4
# The database was written by a newer Chorus.
SCHEMA = 5
# A file cannot be read or written (missing directory, a directory, no permission, disk full).
FILE = 6
# A platform (Discord, Telegram) could not be reached at start.
PLATFORM = 7
# A file's content is refused, named by line (nothing of it was used).
INPUT = 8
# The row or schedule named does not exist, or is not in a state the command acts on.
NOT_FOUND = 9
# The operator answered no when asked to confirm.
DECLINED = 10
# Something unexpected: a bug, with its traceback in the log at DEBUG.
INTERNAL = 70
# Interrupted with Ctrl-C.
INTERRUPTED = 130

SUMMARY = (
    "Exit codes: 0 done; 1 a check failed; 2 bad command line; 3 bad setting;"
    " 4 database unusable; 5 database from a newer Chorus; 6 file unreadable or unwritable;"
    " 7 platform unreachable; 8 file content refused; 9 no such row or schedule;"
    " 10 declined; 70 unexpected error; 130 interrupted."
)
