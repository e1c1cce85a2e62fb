"""Named pause points, so crash-safety tests can SIGKILL a run at an exact moment.

Inert unless ``FEDERATOR_PAUSE_AT`` names the point; then the process writes the file named
by ``FEDERATOR_PAUSE_FILE`` and sleeps, waiting to be killed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_point(name: str) -> None:
    if os.environ.get("FEDERATOR_PAUSE_AT") != name:
        return
    marker = os.environ.get("FEDERATOR_PAUSE_FILE")
    if marker:
        Path(marker).write_text(f"{os.getpid()} {name}\n")
    time.sleep(300)
