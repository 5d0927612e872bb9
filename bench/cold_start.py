"""Cold-start import cost: importing each handler module vs importing boto3 alone, in fresh processes.

Runs alternate (boto3 alone, then each handler), so machine noise hits every variant alike, and the
fastest run of each counts (noise only ever adds time, as ``timeit`` reasons). Also shown,
not part of the ratio: what the first traced invocation in Lambda adds once (the X-Ray SDK, imported
when the Tracer is first needed rather than at import).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
HANDLERS = ("producer", "consumer", "dlq_archiver")
TARGET = 1.5


def _import_seconds(statement: str, **env: str) -> float:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(FUNCTIONS), **env}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], env=environment, check=True)
    return time.perf_counter() - started


def run(repeats: int) -> dict[str, float]:
    variants = {"boto3": "import boto3"}
    variants.update({handler: f"import boto3, bedrock_jobs.{handler}" for handler in HANDLERS})
    variants["consumer + Tracer (Lambda)"] = (
        "import boto3, bedrock_jobs.consumer; from bedrock_jobs.observability import tracer; tracer.tracer"
    )
    samples: dict[str, list[float]] = {name: [] for name in variants}
    lambda_env = {"LAMBDA_TASK_ROOT": str(FUNCTIONS), "AWS_DEFAULT_REGION": "us-east-1"}
    for _ in range(repeats):
        for name, statement in variants.items():
            env = lambda_env if "Lambda" in name else {}
            samples[name].append(_import_seconds(statement, **env))
    medians = {name: min(values) for name, values in samples.items()}
    floor = medians["boto3"]
    print(f"\n== cold start: process start + imports (best of {repeats}, interleaved) ==")
    print(f"  python + boto3 (floor)       : {floor:6.3f} s")
    ratios: dict[str, float] = {}
    for handler in HANDLERS:
        ratios[handler] = medians[handler] / floor
        print(
            f"  + bedrock_jobs.{handler:13s} : {medians[handler]:6.3f} s  "
            f"({ratios[handler]:4.2f}x the floor; target <= {TARGET}x)"
        )
    traced = medians["consumer + Tracer (Lambda)"] - medians["consumer"]
    print(
        f"  first traced invocation adds : {traced:6.3f} s  (X-Ray SDK + its clients; only with tracing on)"
    )
    return ratios
