"""Cold-start import cost: importing each handler module vs importing boto3 alone, in fresh processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"


def _import_seconds(statement: str) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(FUNCTIONS)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], env=env, check=True)
    return time.perf_counter() - started


def run(repeats: int) -> None:
    baseline = statistics.median(_import_seconds("import boto3") for _ in range(repeats))
    print(f"\n== cold start: process start + imports (median of {repeats}) ==")
    print(f"  python + boto3 (floor)   : {baseline:6.3f} s")
    for handler in ("producer", "consumer", "dlq_archiver"):
        seconds = statistics.median(
            _import_seconds(f"import boto3, bedrock_jobs.{handler}") for _ in range(repeats)
        )
        print(f"  + bedrock_jobs.{handler:13s}: {seconds:6.3f} s  ({seconds / baseline:4.2f}x the floor)")
