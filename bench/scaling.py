"""Throughput with 1, 2, 5, 10 consumer environments at a fixed model latency, against ideal scaling.

Each environment is its own process (a Lambda execution environment has its own CPU and interpreter)
running the consumer as deployed: it receives batches of 10 like the event source mapping, invokes the
handler, and deletes what succeeded. All of them share one embedded AWS (moto, in its own process)
and one fake model. Ideal scaling is N × the throughput of one environment; the table shows how close
each N gets, and the emulator's and this machine's CPU use, which say what bounds it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

from bench.harness import emulator_pid, enqueue, pipeline, process_cpu_seconds

BATCH = 10


def _environment(env: dict[str, str], ready: Any, go: Any, results: Any) -> None:
    """One consumer environment: warm up, wait for the start, then drain the queue in batches."""
    os.environ.clear()
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the consumer's JSON logs and EMF metrics, as in Lambda, go nowhere here
    from bedrock_jobs import aws_clients, consumer
    from bedrock_jobs_local.event_source_mapping import receive_event
    from bedrock_jobs_local.lambda_context import LambdaContext

    sqs = aws_clients.client("sqs")
    queue_url, queue_arn, region = env["QUEUE_URL"], env["BENCH_QUEUE_ARN"], env["AWS_REGION"]
    for service in ("dynamodb", "s3", "sns"):  # a warm environment: clients and their endpoints ready
        aws_clients.client(service)
    sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    ready.release()
    go.wait()
    cpu_before = time.process_time()
    done = 0
    while True:
        event = receive_event(sqs, queue_url, queue_arn, region, BATCH)
        if not event["Records"]:
            break
        response = consumer.handler(event, LambdaContext("bench-consumer", timeout_seconds=50))
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        entries = [
            {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
            for i, r in enumerate(event["Records"])
            if r["messageId"] not in failed
        ]
        if entries:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        done += len(entries)
    results.put((done, time.perf_counter(), time.process_time() - cpu_before))


def _collect(workers: list[Any], results: Any) -> list[tuple[int, float, float]]:
    """Each environment's (jobs done, end time, CPU seconds); fails at once if one of them died."""
    import queue

    finished: list[tuple[int, float, float]] = []
    while len(finished) < len(workers):
        try:
            finished.append(results.get(timeout=1))
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead:
                for worker in workers:
                    worker.terminate()
                raise RuntimeError(f"a consumer environment failed (exit codes {dead})") from None
    return finished


def _one_run(environments: int, jobs_per_environment: int, latency: float) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    with pipeline(f"scale{environments}", latency=latency, log_level="INFO") as (aws, resources, model):
        jobs = environments * jobs_per_environment
        enqueue(aws, resources, jobs, f"s{environments}")
        env = {**os.environ, "BENCH_QUEUE_ARN": resources.queue_arn}
        ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
        workers = [
            context.Process(target=_environment, args=(env, ready, go, results)) for _ in range(environments)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.acquire()
        moto = emulator_pid(aws)
        emulator_before = process_cpu_seconds(moto) if moto else 0.0
        started = time.perf_counter()
        go.set()
        finished = _collect(workers, results)
        elapsed = max(end for _, end, _ in finished) - started
        emulator_cpu = (process_cpu_seconds(moto) - emulator_before) if moto else 0.0
        for worker in workers:
            worker.join()
        environments_cpu = sum(cpu for _, _, cpu in finished)
        completed = sum(done for done, _, _ in finished)
        assert completed == jobs, (completed, jobs)
        assert sum(model.successful_calls_by_job().values()) == jobs
    return {
        "throughput": jobs / elapsed,
        "elapsed": elapsed,
        "emulator_busy": emulator_cpu / elapsed,
        "environments_cpu_per_job": environments_cpu / jobs,
        "emulator_cpu_per_job": emulator_cpu / jobs,
        "load": os.getloadavg()[0],
    }


def run(latency: float, jobs_per_environment: int = 40, counts: tuple[int, ...] = (1, 2, 5, 10)) -> None:
    cpus = os.cpu_count() or 1
    print(
        f"\n== scaling: consumer environments, model latency {latency:.2f} s, "
        f"{jobs_per_environment} jobs each =="
    )
    print(
        f"  {'envs':>4s} {'jobs/s':>7s} {'of ideal':>9s} {'env CPU/job':>12s} {'moto CPU/job':>13s} "
        f"{'CPU ceiling':>12s} {'load avg':>9s}"
    )
    single: float | None = None
    for n in counts:
        result = _one_run(n, jobs_per_environment, latency)
        single = single or result["throughput"]
        cpu_per_job = result["environments_cpu_per_job"] + result["emulator_cpu_per_job"]
        print(
            f"  {n:4d} {result['throughput']:7.1f} {result['throughput'] / (single * n):8.0%} "
            f"{result['environments_cpu_per_job'] * 1000:10.1f}ms "
            f"{result['emulator_cpu_per_job'] * 1000:11.1f}ms "
            f"{cpus / cpu_per_job:8.0f}/s {result['load']:9.1f}"
        )
    print(
        f"  ideal = N x one environment; one environment does at most {BATCH} jobs per batch time (model\n"
        f"  latency + its AWS calls). CPU ceiling = this machine's {cpus} CPUs / (consumer + moto CPU\n"
        "  per job): all environments and the one moto process share them, and any other load (load avg)."
    )
