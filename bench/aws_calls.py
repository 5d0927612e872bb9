"""AWS API calls the consumer makes per job on the happy path, counted at the botocore layer."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.harness import context, enqueue, pipeline, receive_batch

JOBS = 10


def run() -> None:
    from bedrock_jobs import aws_clients, consumer

    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    original_client = aws_clients.client

    def counting_client(service: str, **config: Any) -> Any:
        client = original_client(service, **config)
        if not getattr(client, "_bench_counted", False):
            client.meta.events.register("before-call", count)
            client._bench_counted = True
        return client

    aws_clients.client = counting_client
    try:
        with pipeline("calls") as (aws, resources, _):
            enqueue(aws, resources, JOBS, "calls")  # through POST /jobs: the producer's calls ...
            event = receive_batch(aws, resources, JOBS)
            calls.clear()  # ... are not the consumer's
            response = consumer.handler(event, context())
            assert response["batchItemFailures"] == []
    finally:
        aws_clients.client = original_client
    total = sum(calls.values())
    print(f"\n== AWS calls per completed job (consumer, {JOBS} jobs, results topic on) ==")
    for name, n in sorted(calls.items()):
        print(f"  {name:32s} {n / JOBS:4.1f}")
    print(f"  {'total':32s} {total / JOBS:4.1f}  (SQS deletes are done by the event source mapping)")
