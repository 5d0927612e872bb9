"""``make bench``: batch speed-up, AWS calls per job, handler import (cold start) cost."""

from __future__ import annotations

import argparse

from bench import aws_calls, batch_speedup, cold_start


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--latency", type=float, default=0.5, help="fake model latency per call (s)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant; the median is reported")
    args = parser.parse_args()
    batch_speedup.run(latency=args.latency, repeats=args.repeats)
    aws_calls.run()
    cold_start.run(repeats=max(args.repeats, 5))


if __name__ == "__main__":
    main()
