"""Run the federator CLI in this process and record its peak RSS (for ``bench.run``)."""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from federator.cli import finish, main

if __name__ == "__main__":
    code = main(sys.argv[1:])
    report = os.environ.get("BENCH_RSS_FILE")
    if report:
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        Path(report).write_text(json.dumps({"max_rss_kb": rss_kb, "exit": code}))
    sys.exit(finish(code))  # as the installed command exits (``federator.cli.entry``)
