"""One batch of 10 jobs: records one by one vs concurrently, for the consumer and a bare-boto3 reference.

Same embedded AWS (moto in its own process, so its CPU is not the function's), same fake model latency,
same run; the consumer runs as deployed (INFO logs and EMF metrics on, written to /dev/null). Runs of the
four variants are interleaved, so machine noise hits them alike, and each variant is warmed up first
(a warm Lambda environment: clients built, code imported).

CPU per record is measured too: this process's CPU (the consumer, plus the fake model's few
microseconds) and the emulator's CPU (moto's child process), per record of the concurrent batches.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.harness import (
    context,
    discard_stdout,
    emulator_pid,
    enqueue,
    pipeline,
    process_cpu_seconds,
    receive_batch,
)

BATCH = 10


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu_per_record: list[float] = field(default_factory=list)
    emulator_cpu_per_record: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)


def _set_concurrency(concurrency: int) -> None:
    from bedrock_jobs import config

    os.environ["MAX_CONCURRENT_RECORDS"] = str(concurrency)
    config.get_settings.cache_clear()  # settings only; the cached clients stay (a warm container)


def run(latency: float, repeats: int) -> dict[str, float]:
    from bedrock_jobs import consumer

    from bench.bare_boto3 import BareConsumer

    results: dict[str, float] = {}
    with pipeline("batch", latency=latency, log_level="INFO") as (aws, resources, model):
        bare = BareConsumer(dict(os.environ))
        moto_pid = emulator_pid(aws)

        def ours(event: dict[str, Any], concurrency: int) -> None:
            _set_concurrency(concurrency)
            response = consumer.handler(event, context())
            assert response["batchItemFailures"] == [], response

        # Jobs submitted through POST /jobs (the producer wrote their records), and, for the consumer,
        # messages sent straight to the queue as EventBridge rules and schedules send them.
        variants: dict[str, tuple[Callable[[dict[str, Any], int], None], int, str]] = {
            "consumer, one by one": (ours, 1, "producer"),
            "consumer, concurrent": (ours, BATCH, "producer"),
            "bare boto3, one by one": (bare.handle, 1, "producer"),
            "bare boto3, concurrent": (bare.handle, BATCH, "producer"),
            "consumer, direct, one by one": (ours, 1, "direct"),
            "consumer, direct, concurrent": (ours, BATCH, "direct"),
        }
        timings = {name: Timings() for name in variants}
        runs = 0
        for round_ in range(repeats + 1):  # round 0 warms every variant up and is not counted
            for name, (handle, concurrency, via) in variants.items():
                runs += 1
                job_ids = enqueue(aws, resources, BATCH, f"b{runs}", via=via)
                event = receive_batch(aws, resources, BATCH)
                assert len(event["Records"]) == BATCH
                emulator_before = process_cpu_seconds(moto_pid) if moto_pid else 0.0
                cpu_before = time.process_time()
                started = time.perf_counter()
                with discard_stdout():
                    handle(event, concurrency)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu_before
                emulator_cpu = (process_cpu_seconds(moto_pid) - emulator_before) if moto_pid else 0.0
                calls = model.successful_calls_by_job()
                assert all(calls[job_id] == 1 for job_id in job_ids), calls
                if round_:
                    timings[name].wall.append(elapsed)
                    timings[name].cpu_per_record.append(cpu / BATCH)
                    timings[name].emulator_cpu_per_record.append(emulator_cpu / BATCH)

    print(f"\n== batch of {BATCH} jobs, model latency {latency:.2f} s (median of {repeats}, interleaved) ==")
    print(f"  {'':30s} {'wall':>7s} {'latencies':>9s} {'CPU/record':>11s} {'emulator CPU/record':>20s}")
    for name, t in timings.items():
        print(
            f"  {name:30s} {t.median:6.2f}s {t.median / latency:9.1f} "
            f"{statistics.median(t.cpu_per_record) * 1000:9.1f}ms "
            f"{statistics.median(t.emulator_cpu_per_record) * 1000:18.1f}ms"
        )
    ours_ratio = timings["consumer, one by one"].median / timings["consumer, concurrent"].median
    bare_ratio = timings["bare boto3, one by one"].median / timings["bare boto3, concurrent"].median
    direct_ratio = (
        timings["consumer, direct, one by one"].median / timings["consumer, direct, concurrent"].median
    )
    print(f"  speed-up, consumer         : {ours_ratio:5.1f}x  (target 8x; the limit is {BATCH}x)")
    print(f"  speed-up, bare boto3       : {bare_ratio:5.1f}x  (same calls, nothing else)")
    print(f"  consumer / bare boto3      : {ours_ratio / bare_ratio:5.2f}")
    print(f"  speed-up, direct messages  : {direct_ratio:5.1f}x  (no producer record: the claim creates it)")
    results.update(
        speedup=ours_ratio,
        direct_speedup=direct_ratio,
        bare_speedup=bare_ratio,
        cpu_per_record_ms=statistics.median(timings["consumer, concurrent"].cpu_per_record) * 1000,
    )
    return results
