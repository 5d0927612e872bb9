"""One batch of 10 jobs: records one by one (MAX_CONCURRENT_RECORDS=1) vs concurrently (=10).

Same moto, same fake model latency, same consumer code; only the record concurrency differs.
"""

from __future__ import annotations

import statistics
import time

from bench.harness import context, enqueue, pipeline, receive_batch

BATCH = 10


def _one_run(latency: float, concurrency: int, run_id: str) -> float:
    from bedrock_jobs import consumer

    with pipeline(run_id, latency=latency, MAX_CONCURRENT_RECORDS=str(concurrency)) as (
        aws,
        resources,
        model,
    ):
        enqueue(aws, resources, BATCH, run_id)
        event = receive_batch(aws, resources, BATCH)
        assert len(event["Records"]) == BATCH
        started = time.perf_counter()
        response = consumer.handler(event, context())
        elapsed = time.perf_counter() - started
        assert response["batchItemFailures"] == [], response
        assert sum(model.successful_calls_by_job().values()) == BATCH
    return elapsed


def run(latency: float, repeats: int) -> None:
    sequential = statistics.median(_one_run(latency, 1, f"seq{i}") for i in range(repeats))
    concurrent = statistics.median(_one_run(latency, BATCH, f"con{i}") for i in range(repeats))
    print(f"\n== batch of {BATCH} jobs, model latency {latency:.2f} s (median of {repeats}) ==")
    print(f"  one record at a time     : {sequential:6.2f} s  ({sequential / latency:4.1f} model latencies)")
    print(f"  records concurrently     : {concurrent:6.2f} s  ({concurrent / latency:4.1f} model latencies)")
    print(f"  speed-up                 : {sequential / concurrent:6.1f}x")
