"""``make run``: the whole pipeline on this machine — embedded AWS, a local model, progress, report.

    python -m bedrock_jobs_local.run                      # bundled sample corpus, faults on
    python -m bedrock_jobs_local.run --jobs 2000          # synthetic tickets
    python -m bedrock_jobs_local.run --input docs/        # your own .jsonl/.json/.txt/.md files
    python -m bedrock_jobs_local.run --bedrock --model-id amazon.nova-micro-v1:0   # real Bedrock
    python -m bedrock_jobs_local.run --mode batch         # Bedrock batch inference (fake control plane)
    python -m bedrock_jobs_local.run --mode mixed         # every other job in batch mode
    python -m bedrock_jobs_local.run --plan plan.json     # a `bedrock-jobs plan --json` workload, scaled

A plan run replays the planned workload on the local model: its N synthetic documents, a model latency of
``seconds_per_document / time_scale`` (no jitter; faults off unless --faults), the plan's ``tfvars`` over
the module defaults, and every duration — function timeouts included — divided by --time-scale
(``LocalSettings.for_plan``). The report's ``plan`` section sets the simulated makespan (processing span
× time scale) against the plan's prediction.

Exit status: 0 when nothing was lost and every poison document ended archived and paged, 1 otherwise,
2 for bad arguments or input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import threading
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bedrock_jobs_cli.pricing import PricingError, load_prices, price_for

from .batch_path import BatchPathConfig
from .fake_bedrock import FakeBedrockConfig
from .fake_bedrock_batch import BatchJobFaults
from .inputs import InputError, load_input, sample_jobs, synthetic_jobs
from .module_defaults import ModuleDefaults, ModuleDefaultsError, load_module_defaults
from .pipeline import Pipeline, Submission
from .progress import Counts, Progress
from .report import RunData, batch_summary, build_report, summary_table
from .serve import SERVE_OUTPUTS_NAME, serve
from .settings import LocalSettings

DEFAULT_TIME_SCALE_LOCAL = 10.0
#: The guardrail a local run deploys with (guardrail_id / guardrail_version of the module).
LOCAL_GUARDRAIL = ("localguardrail1", "1")
JOB_MODES = ("realtime", "batch", "mixed")
OUTPUT_FILES = (
    "run-report.json",
    "results.jsonl",
    "pages.jsonl",
    "notices.jsonl",
    "lambda.log",
    SERVE_OUTPUTS_NAME,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make run ARGS=…",
        description="Run the bedrock-jobs pipeline locally: moto for AWS, a local Converse stand-in for the "
        "model, the real Lambda handlers driven like Lambda's SQS event source mapping.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--input",
        type=Path,
        metavar="DIR|FILE",
        help="jobs from a .jsonl/.json file or a directory of .jsonl/.json/.txt/.md files",
    )
    source.add_argument("--jobs", type=int, metavar="N", help="N synthetic support tickets")
    source.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="run the workload of a `bedrock-jobs plan --json` answer with its tfvars, on a scaled clock",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("run-output"),
        help="directory for results, archive copies, logs and run-report.json (default: %(default)s)",
    )
    parser.add_argument(
        "--bedrock",
        action="store_true",
        help="call Amazon Bedrock with your AWS credentials instead of the local model",
    )
    parser.add_argument(
        "--model-id",
        default=os.environ.get("MODEL_ID"),
        help="model or inference profile id for --bedrock (default: $MODEL_ID)",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        help="AWS region (default: $AWS_REGION or us-east-1)",
    )
    parser.add_argument(
        "--mode",
        choices=JOB_MODES,
        default="realtime",
        help="realtime: on-demand model calls; batch: every job through Bedrock batch inference (the fake "
        "control plane); mixed: every other job in batch mode. A job of --input that names its own "
        "mode keeps it (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-min-records",
        type=int,
        default=None,
        help="BATCH_MIN_RECORDS: the module's default, lowered to the run's number of batch jobs so that "
        "one batch job takes them all (the local model has no batch quota of its own)",
    )
    parser.add_argument(
        "--batch-max-wait-hours",
        type=float,
        default=None,
        help="BATCH_MAX_WAIT_HOURS (default: the module's); 0.0001 sends jobs below the minimum to realtime",
    )
    parser.add_argument(
        "--batch-record-error-rate",
        type=float,
        default=0.03,
        help="share of batch records answered with an error (with --faults)",
    )
    parser.add_argument(
        "--batch-unprocessed-rate",
        type=float,
        default=0.05,
        help="share of batch records never processed, the job ending PartiallyCompleted (with --faults)",
    )
    parser.add_argument(
        "--price-model",
        default=None,
        help="price the run's tokens as this model (default: --model-id with --bedrock, else the module's "
        "model_id)",
    )
    parser.add_argument(
        "--prices",
        type=Path,
        default=None,
        metavar="FILE",
        help="JSON prices per model, replacing or adding to the table in bedrock_jobs_cli/pricing.py",
    )
    parser.add_argument(
        "--faults",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="inject throttling, 5xx and timeouts into the local model (default: on; off with --plan)",
    )
    parser.add_argument("--throttle-rate", type=float, default=0.08, help="share of calls throttled (429)")
    parser.add_argument(
        "--error-rate", type=float, default=0.04, help="share of calls failing with a 500/503"
    )
    parser.add_argument("--timeout-rate", type=float, default=0.01, help="share of calls that time out")
    parser.add_argument("--latency", type=float, default=0.05, help="local model latency, seconds")
    parser.add_argument("--latency-jitter", type=float, default=0.15, help="extra random latency, seconds")
    parser.add_argument("--seed", type=int, default=7, help="seed for faults and synthetic jobs")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="divide visibility timeouts, batching window and retry backoff by this factor "
        f"(default: {DEFAULT_TIME_SCALE_LOCAL:g} with the local model, 1 with --bedrock)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=600.0,
        help="give up waiting for jobs after this many seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--submitters", type=int, default=8, help="concurrent POST /jobs callers (default: %(default)s)"
    )
    parser.add_argument(
        "--aws-server",
        choices=("thread", "process"),
        default="process",
        help="run moto in a child process (default, uses a second core) or in a thread",
    )
    parser.add_argument(
        "--module-dir",
        type=Path,
        default=None,
        help="Terraform module whose variables.tf supplies the defaults (default: this repository)",
    )
    parser.add_argument(
        "--guardrail",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"deploy with a guardrail (GUARDRAIL_ID {LOCAL_GUARDRAIL[0]}, version {LOCAL_GUARDRAIL[1]}) "
        "that the local model applies: a document containing GUARDRAIL-BLOCK is blocked (default: on for "
        "realtime runs on the local model; batch inference applies no guardrail, so jobs of a guarded "
        "task never run in batch)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help=f"after the run, keep the embedded AWS and the functions running (Ctrl-C stops) and write "
        f"OUTPUT/{SERVE_OUTPUTS_NAME} for the bedrock-jobs CLI (--outputs FILE)",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "lines"),
        default="auto",
        help="live bar on a terminal, periodic lines otherwise (default: auto)",
    )
    args = parser.parse_args(argv)
    if args.faults is None:
        # A plan run measures the plan, so by default it adds no failures the plan did not budget for.
        args.faults = args.plan is None
    if args.guardrail is None:
        args.guardrail = not args.bedrock and args.mode == "realtime"
    if args.guardrail and args.bedrock:
        parser.error("--guardrail is the local model's guardrail; with --bedrock, attach yours in the module")
    if args.plan is not None and (args.bedrock or args.mode != "realtime"):
        parser.error("--plan runs on the local model in realtime mode (no --bedrock, no --mode batch/mixed)")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.bedrock and not args.model_id:
        parser.error("--bedrock needs --model-id or MODEL_ID")
    if args.submitters < 1:
        parser.error("--submitters must be at least 1")
    if args.mode != "realtime" and args.bedrock:
        parser.error("--mode batch/mixed runs on the local model: Bedrock's batch jobs need real S3")
    if args.batch_min_records is not None and not 1 <= args.batch_min_records <= 50_000:
        parser.error("--batch-min-records must be 1-50000")
    if args.batch_max_wait_hours is not None and args.batch_max_wait_hours <= 0:
        parser.error("--batch-max-wait-hours must be above 0")
    for name in ("batch_record_error_rate", "batch_unprocessed_rate"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} must be between 0 and 1")
    return args


class PlanError(ValueError):
    """A --plan file that is not a `bedrock-jobs plan --json` answer."""


def load_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanError(f"cannot read the plan {path}: {exc}") from exc
    missing = [
        k
        for k in ("documents", "seconds_per_document", "makespan_minutes", "tfvars")
        if not isinstance(plan, dict) or k not in plan
    ]
    if missing:
        raise PlanError(f"{path}: not a `bedrock-jobs plan --json` answer (missing {', '.join(missing)})")
    if not isinstance(plan["documents"], int) or plan["documents"] < 1:
        raise PlanError(f"{path}: documents must be a whole number ≥ 1")
    if not isinstance(plan["seconds_per_document"], int | float) or plan["seconds_per_document"] <= 0:
        raise PlanError(f"{path}: seconds_per_document must be above 0")
    if not isinstance(plan["tfvars"], dict):
        raise PlanError(f"{path}: tfvars must be an object")
    return plan


def apply_tfvars(defaults: ModuleDefaults, tfvars: dict[str, Any]) -> ModuleDefaults:
    """The module defaults with the plan's variables on top (those the local runner models)."""
    known = {f.name for f in fields(ModuleDefaults)} - {"source"}
    return replace(defaults, **{name: value for name, value in tfvars.items() if name in known})


def _load_jobs(
    args: argparse.Namespace, fake: FakeBedrockConfig, plan: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    if args.input is not None:
        return load_input(args.input)
    count = plan["documents"] if plan is not None else args.jobs
    if count is not None:
        with_faults = args.faults and not args.bedrock
        return synthetic_jobs(
            count,
            seed=args.seed,
            poison_marker=fake.poison_marker if with_faults else None,
            invalid_marker=fake.invalid_marker if with_faults else None,
        )
    return sample_jobs()


def assign_modes(jobs: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    """Each job with the mode it is posted in: its own, else the run's (mixed: batch for every other one)."""
    if mode == "realtime":
        return jobs
    assigned = []
    for index, job in enumerate(jobs):
        wanted = "batch" if mode == "batch" or index % 2 == 0 else "realtime"
        assigned.append(job if job.get("mode") else {**job, "mode": wanted})
    return assigned


def _batch_config(
    args: argparse.Namespace, settings: LocalSettings, jobs: list[dict[str, Any]], fake: FakeBedrockConfig
) -> BatchPathConfig | None:
    batch_jobs = sum(1 for job in jobs if job.get("mode") == "batch")
    if args.mode == "realtime" and not batch_jobs:
        return None
    m = settings.module
    faults = (
        BatchJobFaults(
            record_error_rate=args.batch_record_error_rate,
            unprocessed_fraction=args.batch_unprocessed_rate,
        )
        if args.faults
        else BatchJobFaults()
    )
    return BatchPathConfig(
        min_records=args.batch_min_records or max(1, min(m.batch_min_records, batch_jobs)),
        max_records=m.batch_max_records,
        max_wait_hours=args.batch_max_wait_hours or m.batch_max_wait_hours,
        timeout_hours=m.batch_timeout_hours,
        max_jobs_in_flight=m.batch_max_jobs_in_flight,
        faults=faults,
        # As the runtime fake does, faults or not: these documents never get an answer.
        unanswerable_markers=(fake.poison_marker, fake.invalid_marker),
    )


def _expected_failures(
    jobs: list[dict[str, Any]], fake: FakeBedrockConfig, local_model: bool, guarded: bool = False
) -> dict[int, str]:
    """Jobs the local model can never answer (failed, archived, the poison paged), and with the local
    guardrail, realtime jobs it blocks (failed and archived, counted as input failures, not paged)."""
    if not local_model:
        return {}
    expected: dict[int, str] = {}
    for index, job in enumerate(jobs):
        document = str(job.get("document", ""))
        if fake.poison_marker and fake.poison_marker in document:
            expected[index] = "poison"
        elif fake.invalid_marker and fake.invalid_marker in document:
            expected[index] = "invalid"
        elif guarded and fake.guardrail_marker and fake.guardrail_marker in document:
            expected[index] = "guardrail"
    return expected


def _prepare_output(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # Remove only what a previous run wrote, never anything else in the directory.
    for name in OUTPUT_FILES:
        (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / "archive", ignore_errors=True)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def _results(
    jobs: list[dict[str, Any]], submissions: list[Submission], records: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    from .report import job_latency

    rows = []
    for index, (job, submission) in enumerate(zip(jobs, submissions, strict=True)):
        record = records.get(submission.job_id or "", {})
        metadata = job.get("metadata") or {}
        row: dict[str, Any] = {
            "index": index,
            "sample_id": metadata.get("sample_id"),
            "job_id": submission.job_id,
            "task": job.get("task"),
            "status": record.get("status") or ("rejected" if not submission.accepted else "missing"),
        }
        for key in (
            "result",
            "result_uri",
            "error",
            "archive_uri",
            "model_id",
            "input_tokens",
            "output_tokens",
            "attempts",
            "submitted_at",
            "completed_at",
            "failed_at",
        ):
            if record.get(key) is not None:
                row[key] = record[key]
        if not submission.accepted:
            row["error"] = f"{submission.status_code}: {submission.error}"
        if metadata.get("expected_label"):
            row["expected_label"] = metadata["expected_label"]
        latency = job_latency(record) if record else None
        if latency is not None:
            row["latency_seconds"] = round(latency, 3)
        rows.append(row)
    return rows


class _Submitter:
    """POST /jobs callers running in the background while progress is shown."""

    def __init__(self, pipeline: Pipeline, jobs: list[dict[str, Any]], workers: int) -> None:
        self.pipeline = pipeline
        self.jobs = jobs
        self.workers = workers
        self.results: list[Submission | None] = [None] * len(jobs)
        self.accepted = 0
        self.finished_at: float | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="submitter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _submit(self, index: int) -> None:
        try:
            submission = self.pipeline.submit(self.jobs[index], index)
        except Exception as exc:  # keep going: one broken submission must not hide the others
            submission = Submission(index, None, 599, f"{type(exc).__name__}: {exc}")
        with self._lock:
            self.results[index] = submission
            self.accepted += int(submission.accepted)

    def _run(self) -> None:
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="post-jobs") as pool:
            list(pool.map(self._submit, range(len(self.jobs))))
        self.finished_at = time.monotonic()

    @property
    def done(self) -> bool:
        return self.finished_at is not None

    def wait(self) -> list[Submission]:
        self._thread.join()
        return [s or Submission(i, None, 599, "not submitted") for i, s in enumerate(self.results)]


def _counts(pipeline: Pipeline, submitter: _Submitter, total: int) -> Counts:
    statuses = pipeline.status_counts()
    return Counts(
        total=total,
        submitted=submitter.accepted,
        pending=statuses.get("pending", 0),
        processing=statuses.get("processing", 0),
        complete=statuses.get("complete", 0),
        failed=statuses.get("failed", 0),
        dead_lettered=len(pipeline.dead_lettered),
    )


def run(
    args: argparse.Namespace,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    stop_serving: threading.Event | None = None,
) -> int:
    """One run; with ``--serve`` it then serves until Ctrl-C (or ``stop_serving`` is set)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    wall_start = time.monotonic()
    started_at = _utc_now()
    local_model = not args.bedrock
    time_scale = args.time_scale or (DEFAULT_TIME_SCALE_LOCAL if local_model else 1.0)
    plan: dict[str, Any] | None = None
    if args.plan is not None:
        try:
            plan = load_plan(args.plan)
        except PlanError as exc:
            print(f"error: {exc}", file=stderr)
            return 2
    fake = FakeBedrockConfig(
        # A plan's model answers in its planned time, on the run's clock, every time.
        latency_seconds=plan["seconds_per_document"] / time_scale if plan else args.latency,
        latency_jitter_seconds=0.0 if plan else args.latency_jitter,
        throttle_rate=args.throttle_rate if args.faults else 0.0,
        error_rate=args.error_rate if args.faults else 0.0,
        timeout_rate=args.timeout_rate if args.faults else 0.0,
        seed=args.seed,
    )
    try:
        defaults = load_module_defaults(args.module_dir)
        if plan is not None:
            defaults = apply_tfvars(defaults, plan["tfvars"])
        jobs = assign_modes(_load_jobs(args, fake, plan), args.mode)
        prices = load_prices(args.prices)
        price = price_for(args.price_model or (args.model_id if args.bedrock else defaults.model_id), prices)
    except (ModuleDefaultsError, InputError, PricingError, TypeError, ValueError) as exc:
        print(f"error: {exc}", file=stderr)
        return 2
    if not jobs:
        print("error: no jobs to run", file=stderr)
        return 2
    if plan is not None:
        settings = LocalSettings.for_plan(defaults, time_scale)
    else:
        settings = LocalSettings(defaults, time_scale=time_scale, local_model=local_model)
    expected = _expected_failures(jobs, fake, local_model, guarded=args.guardrail)
    batch_config = _batch_config(args, settings, jobs, fake)

    output: Path = args.output
    _prepare_output(output)
    # The functions' environments append to the same file, so it is opened for appending, line-buffered.
    log_path = output / "lambda.log"
    log_file = log_path.open("a", encoding="utf-8", buffering=1)
    log_handler = logging.StreamHandler(log_file)
    log_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    package_log = logging.getLogger("bedrock_jobs_local")
    package_log.addHandler(log_handler)
    package_log.setLevel(logging.INFO)
    previous_showwarning = warnings.showwarning

    def log_warning(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        log_file.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = log_warning

    model_name = args.model_id if args.bedrock else "local Converse stand-in (fake Bedrock)"
    print(
        f"bedrock-jobs local run: {len(jobs)} job(s), model: {model_name}, time scale ×{time_scale:g}, "
        f"defaults from {defaults.source}",
        file=stderr,
    )
    pipeline = Pipeline(
        settings,
        region=args.region,
        bedrock=args.bedrock,
        model_id=args.model_id,
        fake_config=fake,
        aws_mode=args.aws_server,
        log_path=str(log_path),
        batch=batch_config,
        function_environment=(
            {"GUARDRAIL_ID": LOCAL_GUARDRAIL[0], "GUARDRAIL_VERSION": LOCAL_GUARDRAIL[1]}
            if args.guardrail
            else {}
        ),
    )
    timed_out = False
    try:
        # A plan sizes the processing of N documents that are waiting: they are all submitted before the
        # consumer may start, and the plan is timed from there (a backlog, as the planner assumes).
        pipeline.start(poll=plan is None)
        startup = time.monotonic() - wall_start
        interactive = {"auto": None, "bar": True, "lines": False}[args.progress]
        progress = Progress(len(jobs), stream=stderr, interactive=interactive)
        submitter = _Submitter(pipeline, jobs, args.submitters)
        submit_start = time.monotonic()
        submitter.start()
        if plan is not None:
            while not submitter.done:
                progress.update(_counts(pipeline, submitter, len(jobs)))
                time.sleep(0.25)
            plan["backlog_released_at"] = _utc_now()
            pipeline.start_polling()
        deadline = submit_start + args.max_wait
        while True:
            counts = _counts(pipeline, submitter, len(jobs))
            progress.update(counts)
            if submitter.done and counts.done >= submitter.accepted and pipeline.idle():
                break
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.25 if len(jobs) <= 200 else 1.0)
        submissions = submitter.wait()
        pipeline.stop_mappings()
        progress.update(_counts(pipeline, submitter, len(jobs)), force=True)
        progress.finish()
        finished = time.monotonic()

        records = list(pipeline.scan_jobs())
        notice_count, notices = pipeline.notices()
        fake_calls = Counter(c.outcome for c in pipeline.fake.calls) if pipeline.fake else Counter()
        successes = pipeline.fake.successful_calls_by_job() if pipeline.fake else Counter()
        batch = pipeline.batch
        data = RunData(
            jobs=jobs,
            submissions=submissions,
            records=records,
            archived=pipeline.archived_objects(),
            pages=pipeline.pages(),
            notices=notice_count,
            consumer=pipeline.consumer_mapping.snapshot() if pipeline.consumer_mapping else {},
            archiver=pipeline.archiver_mapping.snapshot() if pipeline.archiver_mapping else {},
            queues_at_end=pipeline.queue_depths(),
            expected_failures=expected,
            timings={
                "startup_seconds": startup,
                "submit_seconds": (submitter.finished_at or finished) - submit_start,
                "drain_seconds": finished - submit_start,
                "wall_seconds": finished - wall_start,
            },
            started_at=started_at,
            finished_at=_utc_now(),
            settings=settings.describe(),
            mode={
                "local_model": local_model,
                "model": model_name,
                "model_id": pipeline.model_id,
                "faults": bool(args.faults and local_model),
                "fault_rates": {
                    "throttle": fake.throttle_rate,
                    "error": fake.error_rate,
                    "timeout": fake.timeout_rate,
                }
                if local_model
                else None,
                "latency_seconds": [fake.latency_seconds, fake.latency_seconds + fake.latency_jitter_seconds]
                if local_model
                else None,
                "job_mode": args.mode,
                "guardrail": "/".join(LOCAL_GUARDRAIL) if args.guardrail else None,
                "aws": f"moto {_moto_version()} ({args.aws_server})",
                "region": args.region,
                "python": sys.version.split()[0],
            },
            model_calls=fake_calls,
            model_successes_by_job=successes,
            timed_out=timed_out,
            environments=pipeline.cold_starts,
            batch=batch_summary(batch) if batch is not None else None,
            batch_answers_by_job=batch.fake.answered_by_record() if batch is not None else Counter(),
            price=price,
            plan=_plan_summary(plan, args.plan, time_scale) if plan is not None else None,
        )
        by_id = {r["job_id"]: r for r in records if "job_id" in r}
        _write_jsonl(output / "results.jsonl", _results(jobs, submissions, by_id))
        for archived in data.archived:
            target = output / "archive" / archived["key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                json.dumps({k: v for k, v in archived.items() if k != "key"}, indent=2, ensure_ascii=False),
                encoding="utf-8",
            )
        _write_jsonl(output / "pages.jsonl", data.pages)
        if notices or not notice_count:
            _write_jsonl(output / "notices.jsonl", notices)
        report = _write_report(data, output, stdout)
        if args.serve:
            serve(pipeline, output / SERVE_OUTPUTS_NAME, stderr, until=stop_serving)
    finally:
        pipeline.stop()
        warnings.showwarning = previous_showwarning
        package_log.removeHandler(log_handler)
        log_file.close()
    return 0 if report["ok"] else 1


def _write_report(data: RunData, output: Path, stdout: IO[str]) -> dict[str, Any]:
    report = build_report(data)
    outputs = {
        "results": str(output / "results.jsonl"),
        "archive": str(output / "archive"),
        "pages": str(output / "pages.jsonl"),
        "lambda logs": str(output / "lambda.log"),
        "report": str(output / "run-report.json"),
    }
    report["outputs"] = outputs
    (output / "run-report.json").write_text(
        json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8"
    )
    stdout.write(summary_table(report, outputs))
    stdout.flush()
    return report


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plan_summary(plan: dict[str, Any], path: Path, time_scale: float) -> dict[str, Any]:
    return {
        "backlog_released_at": plan.get("backlog_released_at"),
        "file": str(path),
        "documents": plan["documents"],
        "seconds_per_document": plan["seconds_per_document"],
        "deadline_minutes": (plan.get("inputs") or {}).get("deadline_minutes"),
        "in_flight": plan.get("in_flight"),
        "predicted_makespan_minutes": plan["makespan_minutes"],
        "tfvars": plan["tfvars"],
        "time_scale": time_scale,
    }


def _moto_version() -> str:
    try:
        from importlib.metadata import version

        return version("moto")
    except Exception:
        return "?"


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--chaos" in arguments:
        # ``make run ARGS="--chaos …"`` is ``make chaos ARGS="…"``.
        from . import chaos

        return chaos.main([a for a in arguments if a != "--chaos"])
    try:
        return run(parse_args(argv))
    except KeyboardInterrupt:
        # run() has already stopped the pollers and the servers on its way out.
        print("\ninterrupted; no report written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
