"""``make chaos``: thousands of jobs through the real handlers with every fault at once, then invariants.

    python -m bedrock_jobs_local.chaos                   # 5,000 jobs, default rates
    python -m bedrock_jobs_local.chaos --jobs 300 --consumer-timeout 15
    python -m bedrock_jobs_local.chaos --sabotage lease  # must fail: shows the checker catches a bug

Faults, each at a seeded rate (``ChaosPlan``):

- model: the local model throttles, fails (5xx), times out; poison documents always fail and invalid
  ones get a ValidationException (``fake_bedrock``);
- AWS, injected by the embedded AWS at its HTTP boundary so the functions' own SDK retries run
  (``aws_faults``): DynamoDB throttling, 5xx before and after the write lands, on every item call of
  every function; S3 PutObject/GetObject SlowDown and 500s; SNS Publish 500s; SQS SendMessage and
  ChangeMessageVisibility 500s from the functions, and DeleteMessageBatch 500s from the event source
  mappings (Lambda deletes on the function's behalf; a failed delete means a redelivery). Rules match
  the callers' access keys (``pipeline.FUNCTION_ACCESS_KEYS``), so the runner's own reads are never
  faulted;
- crashes: a consumer environment killed a few milliseconds after the model answered one of its jobs
  (before or while the answer is saved and the job completed), consumer and archiver environments killed
  at a random point of an invocation, and producer environments killed while their SendMessage is in
  flight — after the job was written — with the message either lost or delivered after the crash. The
  client then retries with the same ``idempotency_key``, as a real client does; a client that does not
  retry is out of scope (its job can stay ``pending`` without a message, which SPEC's 503 contract
  leaves to the caller);
- duplicates: the consumer's mapping hands a copy of some records to a second invocation while the
  first holds them.

The invariants are read from the table, the archive bucket, the alert inbox, the queues and the local
model's own call log, never from what the functions report (``check_invariants``). Exit status 1, with
the offending job ids, when any of them breaks.

``--fault-window S`` ends AWS faults and crashes S seconds into the run (model faults and duplicates go
on), for short runs that would otherwise mostly wait out the leases of invocations crashed at their end.

Time is compressed as in ``make run`` (``--time-scale``), except that a queue's visibility timeout is
never shorter than the job lease plus a margin, as it is in the module: a message whose invocation
crashed comes back after the crashed holder's lease ran out, so the next delivery can take the job over
instead of spending its receives on a lease nobody holds.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .embedded_aws import QueueSettings
from .event_source_mapping import BatchOutcome, MappingConfig
from .fake_bedrock import ConverseCall, FakeBedrockConfig
from .inputs import synthetic_jobs
from .lambda_runtime import Crash, Invocation, ProcessLambdaFunction
from .module_defaults import ModuleDefaultsError, load_module_defaults
from .pipeline import FUNCTION_ACCESS_KEYS, MAPPING_ACCESS_KEY, Pipeline, Submission
from .report import needs_page
from .settings import LocalSettings

#: A queue's visibility timeout stays this far beyond the job lease (see the module docstring).
VISIBILITY_BEYOND_LEASE_SECONDS = 5
#: The requeue counter the DLQ archiver puts on a message it sends back (``dlq_archiver``).
REQUEUE_ATTRIBUTE = "bedrock_jobs_requeues"
#: How long a producer's SendMessage is held by the embedded AWS while the runner kills the producer.
PRODUCER_HOLD_SECONDS = 2.0
#: How long after a kill a request the dead environment sent may still be read by the model's server.
ARRIVAL_SLACK_SECONDS = 2.0
#: Offending ids printed per invariant (the report file has all of them).
PRINTED_OFFENDERS = 20
SABOTAGE_SETUP = {"lease": "bedrock_jobs_local.chaos:disable_job_lease"}


@dataclass(frozen=True)
class ChaosPlan:
    """Every fault's rate. Model rates are per call, AWS rates per HTTP request (botocore retries each
    failed attempt, so an error reaches the code at about rate ** attempts), crash rates per answer,
    invocation or submission, and the duplicate rate per record."""

    seed: int = 7
    model_throttle_rate: float = 0.06
    model_error_rate: float = 0.03
    model_timeout_rate: float = 0.005
    dynamodb_throttle_rate: float = 0.08
    dynamodb_error_rate: float = 0.04
    dynamodb_ambiguous_rate: float = 0.02  # 500 returned after the write landed
    s3_error_rate: float = 0.08
    sns_error_rate: float = 0.15
    sqs_send_error_rate: float = 0.05
    sqs_visibility_error_rate: float = 0.3
    sqs_delete_error_rate: float = 0.3
    crash_after_answer_rate: float = 0.01
    consumer_crash_rate: float = 0.01
    archiver_crash_rate: float = 0.05
    producer_crash_rate: float = 0.01
    duplicate_rate: float = 0.03

    def without_faults(self) -> ChaosPlan:
        rates = {f.name: 0.0 for f in dataclasses.fields(self) if f.name.endswith("_rate")}
        return dataclasses.replace(self, **rates)


@dataclass(frozen=True)
class ChaosSettings(LocalSettings):
    """``LocalSettings`` with the chaos mapping (duplicates) and visibility never below the lease."""

    duplicate_rate: float = 0.0
    seed: int = 7

    @property
    def queues(self) -> QueueSettings:
        queues = super().queues
        floor = self.module.job_lease_seconds + VISIBILITY_BEYOND_LEASE_SECONDS
        return dataclasses.replace(queues, visibility_timeout=max(queues.visibility_timeout, floor))

    @property
    def consumer_mapping(self) -> MappingConfig:
        return dataclasses.replace(
            super().consumer_mapping, duplicate_rate=self.duplicate_rate, duplicate_seed=self.seed
        )


def disable_job_lease() -> None:
    """Sabotage switch, run inside consumer environments only (``--sabotage lease``): before every
    claim, the job's lease is expired, so a concurrent delivery takes the job over. The Lambda
    package is unchanged; the chaos run must then fail."""
    from bedrock_jobs import job_store
    from botocore.exceptions import ClientError

    original = job_store.JobStore.claim

    def claim_ignoring_lease(
        self: Any, job_id: str, lease_seconds: float, defaults: dict[str, Any], **options: Any
    ) -> Any:
        with contextlib.suppress(ClientError):
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET lease_expires_at = :expired",
                ConditionExpression="#s = :processing",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expired": {"N": "0"}, ":processing": {"S": "processing"}},
            )
        return original(self, job_id, lease_seconds, defaults, **options)

    job_store.JobStore.claim = claim_ignoring_lease  # type: ignore[method-assign]


def job_ids_of(event: dict[str, Any]) -> set[str]:
    """The job ids an SQS event's records carry (message attribute, else the body)."""
    ids: set[str] = set()
    for record in event.get("Records") or []:
        attribute = ((record.get("messageAttributes") or {}).get("job_id") or {}).get("stringValue")
        if attribute:
            ids.add(attribute)
            continue
        try:
            body = json.loads(record.get("body") or "{}")
        except ValueError:
            continue
        if isinstance(body, dict) and isinstance(body.get("job_id"), str):
            ids.add(body["job_id"])
    return ids


# -- faults ----------------------------------------------------------------------------------------
def install_aws_faults(faults: Any, plan: ChaosPlan) -> None:
    """Rate-based rules for every function's calls and the mappings' deletes; the runner's own
    clients sign with another key and are never matched."""
    faults.clear(seed=plan.seed)
    producer, consumer, archiver = (FUNCTION_ACCESS_KEYS[n] for n in ("producer", "consumer", "dlq-archiver"))

    def add(
        service: str, action: str, code: str, status: int, rate: float, keys: Iterable[str], **kw: Any
    ) -> None:
        if rate <= 0:
            return
        for key in keys:
            faults.add(service, action, code, status, times=None, rate=rate, access_key=key, **kw)

    every = (producer, consumer, archiver)
    for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        add(
            "dynamodb",
            action,
            "ProvisionedThroughputExceededException",
            400,
            plan.dynamodb_throttle_rate,
            every,
        )
        add("dynamodb", action, "InternalServerError", 500, plan.dynamodb_error_rate, every)
        if action != "GetItem":
            add(
                "dynamodb",
                action,
                "InternalServerError",
                500,
                plan.dynamodb_ambiguous_rate,
                every,
                after=True,
            )
    for action in ("PutObject", "GetObject"):
        add("s3", action, "SlowDown", 503, plan.s3_error_rate / 2, every)
        add("s3", action, "InternalError", 500, plan.s3_error_rate / 2, every)
    add("sns", "Publish", "InternalError", 500, plan.sns_error_rate, (consumer, archiver))
    add("sqs", "SendMessage", "InternalError", 500, plan.sqs_send_error_rate, (producer, archiver))
    add(
        "sqs",
        "ChangeMessageVisibility",
        "InternalError",
        500,
        plan.sqs_visibility_error_rate,
        (consumer, archiver),
    )
    for action in ("DeleteMessageBatch", "DeleteMessage"):
        add("sqs", action, "InternalError", 500, plan.sqs_delete_error_rate, (MAPPING_ACCESS_KEY,))


class Crasher:
    """Kills execution environments: after a model answer, at random points, and producers mid-send."""

    def __init__(self, plan: ChaosPlan, pipeline: Pipeline) -> None:
        self.plan = plan
        self.pipeline = pipeline
        self._rng = random.Random(plan.seed + 1)
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []
        self.producer_kills: Counter[str] = Counter()
        self.producer_rules: set[int] = set()
        self.enabled = True

    def _draw(self, rate: float) -> float | None:
        """A uniform number in [0, 1) when the event is chosen (probability ``rate``), else ``None``."""
        with self._lock:
            if not self.enabled:
                return None
            return self._rng.random() if self._rng.random() < rate else None

    def _later(self, delay: float, action: Callable[[], Any]) -> None:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def install(self) -> None:
        p = self.pipeline
        assert p.consumer and p.archiver and p.fake
        p.consumer.on_invoke = self._random_kill(p.consumer, self.plan.consumer_crash_rate, 0.5)
        p.archiver.on_invoke = self._random_kill(p.archiver, self.plan.archiver_crash_rate, 0.5)
        p.fake.on_answer = self._after_answer

    def _random_kill(
        self, function: ProcessLambdaFunction, rate: float, within: float
    ) -> Callable[[Invocation], None]:
        def decide(invocation: Invocation) -> None:
            point = self._draw(rate)
            if point is not None:
                self._later(point * within, lambda: function.kill(invocation.id, "random point"))

        return decide

    def _after_answer(self, job_id: str | None) -> None:
        point = self._draw(self.plan.crash_after_answer_rate)
        if point is None or not job_id:
            return
        consumer = self.pipeline.consumer
        assert consumer is not None

        def kill_holders() -> None:
            for invocation in consumer.in_flight():
                if job_id in job_ids_of(invocation.event):
                    consumer.kill(invocation.id, "after model answer")

        # Within 50 ms: the answer being saved, the job being completed, the notice being sent.
        self._later(point * 0.05, kill_holders)

    def producer_crash(self, reference: str) -> Callable[[], None] | None:
        """Arm a producer crash for the submission whose metadata carries ``reference``: its SendMessage
        is held by the embedded AWS, and the producer environment is killed while it waits. Half the
        time the held message is then dropped, half the time delivered anyway. Returns ``disarm``."""
        point = self._draw(self.plan.producer_crash_rate)
        if point is None:
            return None
        producer = self.pipeline.producer
        assert producer is not None
        lands = point < 0.5
        kind = "message delivered after the crash" if lands else "message lost with the crash"
        faults = self.pipeline.aws.faults
        rule = faults.add(
            "sqs",
            "SendMessage",
            None if lands else "InternalError",
            500,
            times=1,
            match=reference,
            delay_seconds=PRODUCER_HOLD_SECONDS,
            access_key=FUNCTION_ACCESS_KEYS["producer"],
        )
        with self._lock:
            self.producer_rules.add(rule)
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(0.02):
                if faults.fired(rule):
                    for invocation in producer.in_flight():
                        mine = reference in str(invocation.event.get("body") or "")
                        if mine and producer.kill(invocation.id, "producer mid-send"):
                            with self._lock:
                                self.producer_kills[kind] += 1
                    return

        thread = threading.Thread(target=watch, daemon=True, name="producer-crasher")
        thread.start()

        def disarm() -> None:
            stop.set()
            thread.join()

        return disarm

    def disable(self) -> None:
        """No new crash from now on (those already scheduled still happen)."""
        with self._lock:
            self.enabled = False

    def stop(self) -> None:
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()


class FaultWindow:
    """Ends AWS faults and crashes after ``seconds``, keeping what they did for the report."""

    def __init__(self, faults: Any, crasher: Crasher, seconds: float) -> None:
        self.faults = faults
        self.crasher = crasher
        self.injected: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self._timer = threading.Timer(seconds, self.close)
        self._timer.daemon = True
        self._timer.start()

    def close(self) -> None:
        self.crasher.disable()
        self.injected = self.faults.injected()
        self.rules = self.faults.rules()
        self.faults.clear()

    def cancel(self) -> None:
        self._timer.cancel()


# -- the run ---------------------------------------------------------------------------------------
@dataclass
class Observed:
    """What the harness itself saw on the mappings (records as delivered), not what the functions said."""

    dead_lettered: dict[str, str | None] = field(default_factory=dict)  # DLQ message id -> job id
    requeued: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # job id -> msg ids
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, outcome: BatchOutcome) -> None:
        archiver = outcome.function_name.endswith("dlq-archiver")
        with self.lock:
            for record in outcome.records:
                job_ids = job_ids_of({"Records": [record]})
                job_id = next(iter(job_ids), None)
                if archiver:
                    self.dead_lettered[record["messageId"]] = job_id
                elif REQUEUE_ATTRIBUTE in (record.get("messageAttributes") or {}) and job_id:
                    self.requeued[job_id].add(record["messageId"])


class ChaosSubmitter:
    """POST /jobs callers that retry 5xx and failed invocations with the same idempotency key."""

    def __init__(
        self, pipeline: Pipeline, crasher: Crasher, jobs: list[dict[str, Any]], workers: int
    ) -> None:
        self.pipeline = pipeline
        self.crasher = crasher
        self.jobs = jobs
        self.workers = workers
        self.results: list[Submission | None] = [None] * len(jobs)
        self.retries = 0
        self.max_attempts = 12
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True, name="chaos-submitter")
        self.done = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        with ThreadPoolExecutor(self.workers, thread_name_prefix="chaos-post") as pool:
            list(pool.map(self._submit, range(len(self.jobs))))
        self.done.set()

    def _submit(self, index: int) -> None:
        job = self.jobs[index]
        disarm = self.crasher.producer_crash(job["metadata"]["chaos_ref"])
        submission = Submission(index, None, 599, "not submitted")
        try:
            for attempt in range(self.max_attempts):
                try:
                    submission = self.pipeline.submit(job, index)
                except Exception as exc:  # the harness's own failure; retried like any other
                    submission = Submission(index, None, 599, f"{type(exc).__name__}: {exc}")
                if submission.accepted or submission.status_code < 500:
                    break
                with self._lock:
                    self.retries += 1
                time.sleep(min(1.0, 0.05 * 2**attempt))
        finally:
            if disarm:
                disarm()
        self.results[index] = submission

    @property
    def accepted(self) -> int:
        return sum(1 for s in self.results if s and s.accepted)

    def wait(self) -> list[Submission]:
        self._thread.join()
        return [s or Submission(i, None, 599, "not submitted") for i, s in enumerate(self.results)]


#: One job in this many carries a document too large to travel inline, so S3 is on every step of its
#: path (the producer's upload, the consumer's read) and S3 faults meet real work, not only retries.
LARGE_DOCUMENT_EVERY = 25


def chaos_jobs(
    count: int, seed: int, fake: FakeBedrockConfig, inline_document_max_bytes: int
) -> list[dict[str, Any]]:
    jobs = synthetic_jobs(
        count, seed=seed, poison_marker=fake.poison_marker, invalid_marker=fake.invalid_marker
    )
    markers = tuple(m for m in (fake.poison_marker, fake.invalid_marker) if m)
    for index, job in enumerate(jobs):
        if index % LARGE_DOCUMENT_EVERY == LARGE_DOCUMENT_EVERY // 2 and not any(
            m in job["document"] for m in markers
        ):
            filler = " The customer attached the full ticket history below."
            repeats = inline_document_max_bytes // len(filler) + 1
            job.update(task="summarize", document=job["document"] + filler * repeats)
            job.pop("labels", None)
        # Every chaos client sends a key, so a retry after a crash or a 5xx names the same job; the
        # reference lets the embedded AWS recognise this job's SendMessage.
        job["idempotency_key"] = f"chaos-{seed}-{index:06d}"
        job["metadata"] = {**(job.get("metadata") or {}), "chaos_ref": f"chaos-ref-{index:06d}-end"}
    return jobs


# -- invariants ------------------------------------------------------------------------------------
@dataclass
class Invariant:
    name: str
    checked: int
    offenders: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return not self.offenders


@dataclass
class Evidence:
    """Everything the invariants are computed from, read back after the run."""

    submissions: list[Submission]
    records: list[dict[str, Any]]
    archived: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    model_calls: list[ConverseCall]
    consumer_crashes: list[Crash]
    dead_lettered: dict[str, str | None]
    requeued: dict[str, set[str]]
    queues_at_end: dict[str, dict[str, int]]
    started: float = 0.0  # time.monotonic() when the run began


def check_invariants(e: Evidence) -> list[Invariant]:
    by_id = {r["job_id"]: r for r in e.records if "job_id" in r}
    accepted = [s for s in e.submissions if s.accepted and s.job_id]
    invariants: list[Invariant] = []

    refused = [
        {"index": s.index, "status": s.status_code, "error": s.error} for s in e.submissions if not s.accepted
    ]
    invariants.append(
        Invariant("every submission accepted (retried with its idempotency key)", len(e.submissions), refused)
    )

    lost = [
        {"job_id": s.job_id, "status": by_id.get(s.job_id or "", {}).get("status", "missing")}
        for s in accepted
        if by_id.get(s.job_id or "", {}).get("status") not in ("complete", "failed")
    ]
    invariants.append(Invariant("lost = 0 (every accepted job complete or failed)", len(accepted), lost))

    unfinished = [
        {"job_id": r["job_id"], "status": r.get("status")}
        for r in e.records
        if r.get("status") in ("pending", "processing")
    ]
    invariants.append(Invariant("no job left pending or processing", len(e.records), unfinished))

    answers: dict[str, list[float]] = defaultdict(list)
    for call in e.model_calls:
        if call.job_id and call.status == 200 and call.outcome == "ok":
            answers[call.job_id].append(call.at)
    excused: Counter[str] = Counter()
    held: dict[str, list[Crash]] = defaultdict(list)
    for crash in e.consumer_crashes:
        for job_id in job_ids_of(crash.event):
            held[job_id].append(crash)
            # The model's server may read a request the environment sent just before it died a little
            # after the kill; no other delivery can reach the model that soon (the message is invisible
            # for longer than the dead holder's lease).
            window_end = crash.killed_at + ARRIVAL_SLACK_SECONDS
            if any(crash.started <= at <= window_end for at in answers.get(job_id, ())):
                excused[job_id] += 1
    repeated = [
        {
            "job_id": job_id,
            "successful_model_calls": len(ats),
            "crashes_after_an_answer": excused[job_id],
            # Seconds since the run started, to read against the crashes of invocations holding it.
            "calls_at": [round(at - e.started, 3) for at in sorted(ats)],
            "crashes": [
                [c.reason, round(c.started - e.started, 3), round(c.killed_at - e.started, 3)]
                for c in held.get(job_id, [])
            ],
        }
        for job_id, ats in sorted(answers.items())
        if len(ats) > 1 + excused[job_id]
    ]
    invariants.append(
        Invariant(
            "successful model calls per job <= 1 + crashed invocations that held it after an answer",
            len(answers),
            repeated,
        )
    )

    no_result = [
        {"job_id": r["job_id"]}
        for r in e.records
        if r.get("status") == "complete" and r.get("result") is None and not r.get("result_uri")
    ]
    complete = sum(r.get("status") == "complete" for r in e.records)
    invariants.append(Invariant("every complete job has its result", complete, no_result))

    archived_jobs = {a.get("job_id") for a in e.archived}
    failed = [r for r in e.records if r.get("status") == "failed"]
    unarchived = [
        {"job_id": r["job_id"], "archive_uri": r.get("archive_uri")}
        for r in failed
        if r["job_id"] not in archived_jobs or not r.get("archive_uri")
    ]
    invariants.append(Invariant("every failed job archived", len(failed), unarchived))

    archive_by_message = {a.get("message_id"): a for a in e.archived}
    listed = [f for page in e.pages for f in (page.get("failures") or [page])]
    alerted = {f.get("message_id") for f in listed}
    dlq_offenders: list[dict[str, Any]] = []
    unarchived_by_job: Counter[str] = Counter()
    for message_id, job_id in sorted(e.dead_lettered.items()):
        archived = archive_by_message.get(message_id)
        if archived is None:
            unarchived_by_job[job_id or ""] += 1
        elif needs_page(archived) and message_id not in alerted:
            dlq_offenders.append(
                {"message_id": message_id, "job_id": job_id, "problem": "archived, not alerted"}
            )
    for job_id, count in sorted(unarchived_by_job.items()):
        # Not archived is right only for a record the archiver sent back to the main queue, which the
        # consumer's mapping then delivered with the archiver's requeue counter.
        if len(e.requeued.get(job_id, ())) < count:
            dlq_offenders.append(
                {
                    "job_id": job_id or None,
                    "problem": f"{count} dead-lettered message(s) neither archived nor requeued",
                }
            )
    invariants.append(
        Invariant(
            "every dead-lettered message archived and alerted (or requeued)",
            len(e.dead_lettered),
            dlq_offenders,
        )
    )

    # Every chaos job is well-formed, so none may be refused before the model: a job fails only after
    # the model refused it or its attempts ran out. A job failed untried means a fault used up its
    # receives (the chaos run once found crashed holders' leases doing that).
    asked = {c.job_id for c in e.model_calls if c.job_id}
    untried = [
        {"job_id": r["job_id"], "attempts": r.get("attempts"), "error": str(r.get("error", ""))[:160]}
        for r in failed
        if r["job_id"] not in asked
    ]
    invariants.append(Invariant("every failed job reached the model first", len(failed), untried))

    leftover = [{"queue": name, **depth} for name, depth in e.queues_at_end.items() if sum(depth.values())]
    invariants.append(Invariant("queues drained", len(e.queues_at_end), leftover))
    return invariants


# -- command line ----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    plan = ChaosPlan()
    parser = argparse.ArgumentParser(
        prog="make chaos ARGS=…",
        description="Run thousands of jobs through the real handlers with model, AWS, crash and duplicate "
        "faults at once, then check that nothing was lost or answered twice.",
    )
    parser.add_argument("--jobs", type=int, default=5000, help="synthetic jobs (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=Path("run-output/chaos"), help="report directory")
    parser.add_argument(
        "--time-scale", type=float, default=10.0, help="as in make run (default: %(default)s)"
    )
    parser.add_argument(
        "--consumer-timeout",
        type=int,
        default=None,
        help="consumer function timeout in seconds (default: the module's); the job lease follows it",
    )
    parser.add_argument("--latency", type=float, default=0.05, help="local model latency, seconds")
    parser.add_argument("--latency-jitter", type=float, default=0.15, help="extra random latency, seconds")
    parser.add_argument("--submitters", type=int, default=8, help="concurrent POST /jobs callers")
    parser.add_argument("--max-wait", type=float, default=1800.0, help="give up after this many seconds")
    parser.add_argument("--aws-server", choices=("thread", "process"), default="process")
    parser.add_argument("--no-faults", action="store_true", help="every rate 0 (a baseline)")
    parser.add_argument(
        "--fault-window",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop AWS faults and crashes this long after the start (default: never), so that a short "
        "run is not dominated by leases of crashes near its end",
    )
    parser.add_argument(
        "--sabotage",
        choices=sorted(SABOTAGE_SETUP),
        help="break a guarantee in the consumer's environments (harness-side), to show the run fails",
    )
    rates = parser.add_argument_group("fault rates (see ChaosPlan)")
    for f in dataclasses.fields(plan):
        rates.add_argument(
            "--" + f.name.replace("_", "-"),
            type=type(getattr(plan, f.name)),
            default=getattr(plan, f.name),
            help="default: %(default)s",
        )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def _plan(args: argparse.Namespace) -> ChaosPlan:
    plan = ChaosPlan(**{f.name: getattr(args, f.name) for f in dataclasses.fields(ChaosPlan)})
    return plan.without_faults() if args.no_faults else plan


def _wait(
    pipeline: Pipeline, submitter: ChaosSubmitter, total: int, deadline: float, stderr: IO[str]
) -> bool:
    settled = 0
    last_line = 0.0
    while time.monotonic() < deadline:
        time.sleep(2.0)
        statuses = pipeline.status_counts()
        unfinished = statuses.get("pending", 0) + statuses.get("processing", 0)
        if time.monotonic() - last_line >= 10:
            last_line = time.monotonic()
            print(
                f"  submitted {submitter.accepted}/{total} · complete {statuses.get('complete', 0)} · "
                f"failed {statuses.get('failed', 0)} · unfinished {unfinished}",
                file=stderr,
                flush=True,
            )
        if submitter.done.is_set() and unfinished == 0 and pipeline.idle():
            settled += 1
            if settled >= 2:  # idle twice in a row: no invocation about to put something back
                return True
        else:
            settled = 0
    return False


def run(args: argparse.Namespace, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    wall_start = time.monotonic()
    plan = _plan(args)
    try:
        defaults = load_module_defaults(None)
    except ModuleDefaultsError as exc:
        print(f"error: {exc}", file=stderr)
        return 2
    if args.consumer_timeout:
        defaults = dataclasses.replace(defaults, consumer_timeout=args.consumer_timeout)
    settings = ChaosSettings(
        defaults, time_scale=args.time_scale, duplicate_rate=plan.duplicate_rate, seed=plan.seed
    )
    fake = FakeBedrockConfig(
        latency_seconds=args.latency,
        latency_jitter_seconds=args.latency_jitter,
        throttle_rate=plan.model_throttle_rate,
        error_rate=plan.model_error_rate,
        timeout_rate=plan.model_timeout_rate,
        seed=plan.seed,
    )
    jobs = chaos_jobs(args.jobs, plan.seed, fake, defaults.producer_inline_document_max_bytes)
    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    log_path = output / "lambda.log"
    log_path.unlink(missing_ok=True)
    setup = {"consumer": (SABOTAGE_SETUP[args.sabotage],)} if args.sabotage else {}
    pipeline = Pipeline(
        settings, fake_config=fake, aws_mode=args.aws_server, log_path=str(log_path), function_setup=setup
    )
    observed = Observed()
    print(
        f"bedrock-jobs chaos run: {len(jobs)} job(s), seed {plan.seed}, time scale ×{args.time_scale:g}, "
        f"consumer timeout {defaults.consumer_timeout} s, visibility {settings.queues.visibility_timeout} s"
        + (f", SABOTAGE: {args.sabotage}" if args.sabotage else ""),
        file=stderr,
        flush=True,
    )
    crasher = Crasher(plan, pipeline)
    timed_out = False
    # The mappings log every failed delete and crashed batch: into the run's log, not over the output.
    log_file = log_path.open("a", encoding="utf-8", buffering=1)
    log_handler = logging.StreamHandler(log_file)
    log_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    package_log = logging.getLogger("bedrock_jobs_local")
    package_log.addHandler(log_handler)
    package_log.propagate = False
    try:
        pipeline.start()
        install_aws_faults(pipeline.aws.faults, plan)
        crasher.install()
        pipeline.add_observer(observed)
        submitter = ChaosSubmitter(pipeline, crasher, jobs, args.submitters)
        window: FaultWindow | None = None
        if args.fault_window is not None:
            window = FaultWindow(pipeline.aws.faults, crasher, args.fault_window)
        submitter.start()
        timed_out = not _wait(pipeline, submitter, len(jobs), wall_start + args.max_wait, stderr)
        submissions = submitter.wait()
        crasher.stop()
        pipeline.stop_mappings()
        if window is not None:
            window.cancel()
        injected = pipeline.aws.faults.injected() + (window.injected if window else [])
        rules = pipeline.aws.faults.rules() + (window.rules if window else [])
        pipeline.aws.faults.clear()  # nothing the harness reads below can be faulted anyway
        assert pipeline.consumer and pipeline.archiver and pipeline.producer and pipeline.fake
        assert pipeline.consumer_mapping and pipeline.archiver_mapping
        evidence = Evidence(
            submissions=submissions,
            records=list(pipeline.scan_jobs()),
            archived=pipeline.archived_objects(),
            pages=pipeline.pages(),
            model_calls=list(pipeline.fake.calls),
            consumer_crashes=list(pipeline.consumer.crashes),
            dead_lettered=dict(observed.dead_lettered),
            requeued={k: set(v) for k, v in observed.requeued.items()},
            queues_at_end=pipeline.queue_depths(),
            started=wall_start,
        )
        counts = _fault_counts(pipeline, crasher, injected, rules, submitter)
        mappings = {
            "consumer": pipeline.consumer_mapping.snapshot(),
            "archiver": pipeline.archiver_mapping.snapshot(),
        }
    finally:
        crasher.stop()
        pipeline.stop()
        package_log.removeHandler(log_handler)
        package_log.propagate = True
        log_file.close()
    invariants = check_invariants(evidence)
    if timed_out:
        invariants.append(
            Invariant("finished within --max-wait", 1, [{"problem": f"{args.max_wait:g} s passed"}])
        )
    statuses = Counter(str(r.get("status")) for r in evidence.records)
    wall = time.monotonic() - wall_start
    report = {
        "ok": all(i.ok for i in invariants),
        "seed": plan.seed,
        "plan": dataclasses.asdict(plan),
        "sabotage": args.sabotage,
        "jobs": {
            "submitted": len(jobs),
            "accepted": sum(s.accepted for s in evidence.submissions),
            "complete": statuses.get("complete", 0),
            "failed": statuses.get("failed", 0),
            "client_retries": submitter.retries,
        },
        "faults_injected": counts,
        "invariants": [
            {"name": i.name, "ok": i.ok, "checked": i.checked, "offenders": i.offenders} for i in invariants
        ],
        "mappings": mappings,
        "settings": {
            "time_scale": args.time_scale,
            "consumer_timeout": defaults.consumer_timeout,
            "job_lease_seconds": defaults.job_lease_seconds,
            "visibility_timeout": settings.queues.visibility_timeout,
        },
        "wall_seconds": round(wall, 1),
    }
    (output / "chaos-report.json").write_text(
        json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8"
    )
    stdout.write(chaos_table(report))
    stdout.flush()
    return 0 if report["ok"] else 1


def _fault_counts(
    pipeline: Pipeline,
    crasher: Crasher,
    injected: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    submitter: ChaosSubmitter,
) -> dict[str, dict[str, int]]:
    assert pipeline.fake and pipeline.consumer and pipeline.archiver and pipeline.consumer_mapping
    model = Counter(c.outcome for c in pipeline.fake.calls if c.outcome != "ok")
    aws: Counter[str] = Counter()
    for fault in injected:
        suffix = " (after the write)" if fault.get("after") else ""
        aws[f"{fault['service']} {fault['action']} {fault['code']}{suffix}"] += 1
    for rule in rules:
        # The producer crashes' hold rules are counted as crashes, not as AWS errors.
        if rule["id"] in crasher.producer_rules and rule["fired"]:
            aws[f"sqs SendMessage {rule['code']}"] -= rule["fired"]
    aws = +aws  # drop what the subtraction emptied
    crashes: Counter[str] = Counter()
    for crash in pipeline.consumer.crashes:
        crashes[f"consumer killed {crash.reason}"] += 1
    for crash in pipeline.archiver.crashes:
        crashes[f"archiver killed {crash.reason}"] += 1
    for kind, n in crasher.producer_kills.items():
        crashes[f"producer killed mid-send, {kind}"] += n
    consumer = pipeline.consumer_mapping.snapshot()
    return {
        "model": dict(sorted(model.items())),
        "aws": dict(sorted(aws.items())),
        "crashes": dict(sorted(crashes.items())),
        "duplicates": {"records delivered twice at once": int(consumer.get("duplicates_delivered", 0))},
        "consequences": {
            "POST /jobs retried by the client": submitter.retries,
            "mapping deletes that failed (redelivered)": int(consumer.get("delete_errors", 0)),
            "SQS redeliveries to the consumer": int(consumer.get("redeliveries", 0)),
        },
    }


def chaos_table(report: dict[str, Any]) -> str:
    lines = ["", "bedrock-jobs chaos run", "─" * 72]
    j = report["jobs"]
    lines.append(
        f"  jobs        {j['submitted']} submitted · {j['accepted']} accepted · {j['complete']} complete · "
        f"{j['failed']} failed · seed {report['seed']} · wall {report['wall_seconds']:.0f} s"
    )
    for kind, counts in report["faults_injected"].items():
        total = sum(counts.values())
        lines.append(f"  {kind:<11} {total}")
        lines += [f"      {n:>6}  {name}" for name, n in counts.items()]
    lines.append("  invariants")
    for invariant in report["invariants"]:
        mark = "✓" if invariant["ok"] else "✗"
        lines.append(f"    {mark} {invariant['name']} ({invariant['checked']} checked)")
        for offender in invariant["offenders"][:PRINTED_OFFENDERS]:
            lines.append(f"        {json.dumps(offender, default=str)}")
        if len(invariant["offenders"]) > PRINTED_OFFENDERS:
            lines.append(
                f"        … {len(invariant['offenders']) - PRINTED_OFFENDERS} more in chaos-report.json"
            )
    lines.append("─" * 72)
    lines.append(
        "OK: every invariant held." if report["ok"] else "FAILED: invariants broken (offenders above)."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    try:
        return run(parse_args(argv))
    except KeyboardInterrupt:
        print("\ninterrupted; no report written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
