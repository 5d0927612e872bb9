"""``make bench``: batch speed-up (with a bare-boto3 reference), AWS calls per job, cold start, scaling."""

from __future__ import annotations

import argparse

from bench import aws_calls, batch_speedup, cold_start, scaling


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--latency", type=float, default=0.3, help="fake model latency per call (s)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per variant; the median is reported")
    parser.add_argument("--scaling-jobs", type=int, default=40, help="jobs per consumer environment")
    parser.add_argument("--skip-scaling", action="store_true", help="leave out the scaling run")
    args = parser.parse_args()
    batch = batch_speedup.run(latency=args.latency, repeats=args.repeats)
    aws_calls.run()
    cold = cold_start.run(repeats=max(args.repeats, 7))
    if not args.skip_scaling:
        scaling.run(latency=args.latency, jobs_per_environment=args.scaling_jobs)
    print("\n== summary ==")
    print(
        f"  batch speed-up {batch['speedup']:.1f}x (target 8x), bare-boto3 reference "
        f"{batch['bare_speedup']:.1f}x, consumer CPU {batch['cpu_per_record_ms']:.1f} ms/record"
    )
    print(
        "  cold start " + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in cold.items()) + " (target 1.5x)"
    )


if __name__ == "__main__":
    main()
