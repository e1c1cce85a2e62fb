"""Entry of a run process the daemon starts (``-c "from federator.child import main; main()"``).

It lives apart from the daemon so that the supervisor never imports the command line: the
daemon names this module in the child's command, and only the child imports ``cli``.
"""

from __future__ import annotations

import os
import sys

from federator.cli import entry
from federator.server.lifeline import die_with_parent


def main() -> None:
    """Die with the daemon, then be ``federator`` with our arguments."""
    die_with_parent(int(os.environ.get("FEDERATOR_DAEMON_PID") or 0))
    entry(sys.argv[1:])
