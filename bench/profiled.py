"""Run a `loyalty` command under cProfile and write the statistics when it stops (SIGTERM
ends the servers gracefully, so the profile covers everything they served).

    .venv/bin/python -m bench.profiled /tmp/gateway.prof serve gateway --supergraph supergraph.graphql

bench/lookup.py `--profile` uses it; read the file with `python -m pstats`.
"""
from __future__ import annotations

import cProfile
import sys
import time

from loyalty.cli import app


def main() -> None:
    target, *command = sys.argv[1:]
    profiler = cProfile.Profile(time.process_time)  # CPU time: the event loop waiting is not work
    profiler.enable()
    try:
        app(command, standalone_mode=False)
    finally:
        profiler.disable()
        profiler.dump_stats(target)


if __name__ == "__main__":
    main()
