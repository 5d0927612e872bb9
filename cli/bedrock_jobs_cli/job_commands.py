"""``submit``, ``status``, ``result``, ``jobs`` and ``watch``: jobs and queues, as an operator sees them."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CliError
from .stack import Stack, load_stack

if TYPE_CHECKING:
    from .main import Cli

TERMINAL = frozenset({"complete", "failed"})
STATUSES = ("pending", "processing", "complete", "failed")
#: Fields ``status`` leaves out: the document may be confidential, the rest is lease bookkeeping.
HIDDEN = frozenset({"document", "claim_token", "written_by_claim", "request_sha256", "owner"})
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    submit = subparsers.add_parser("submit", parents=[common], help="submit jobs (a document, file, folder)")
    submit.add_argument(
        "source",
        help="a file (.jsonl/.json jobs, .txt/.md document), a directory of them, '-' for stdin, "
        "or the document text itself",
    )
    submit.add_argument("--task", default=None, help="task of jobs that name none (default: summarize)")
    submit.add_argument("--labels", default=None, help="comma-separated labels (classify)")
    submit.add_argument("--mode", choices=("realtime", "batch"), default=None, help="default: the stack's")
    submit.add_argument("--wait", action="store_true", help="wait until every job is complete or failed")
    submit.add_argument("--timeout", type=float, default=3600.0, help="--wait gives up after this (s)")
    submit.add_argument("--interval", type=float, default=2.0, help="--wait polls this often (s)")
    submit.set_defaults(handler=submit_command)

    status = subparsers.add_parser("status", parents=[common], help="a job's record")
    status.add_argument("job_id")
    status.set_defaults(handler=status_command)

    result = subparsers.add_parser("result", parents=[common], help="a job's result (inline or from S3)")
    result.add_argument("job_id")
    result.set_defaults(handler=result_command)

    jobs = subparsers.add_parser("jobs", parents=[common], help="list jobs by status")
    jobs.add_argument("--status", choices=STATUSES, required=True)
    jobs.add_argument("--since", type=duration, default=None, help="e.g. 30m, 1h, 2d (failed: default 1d)")
    jobs.add_argument("--limit", type=int, default=100)
    jobs.set_defaults(handler=jobs_command)

    watch = subparsers.add_parser("watch", parents=[common], help="live queue, DLQ, jobs and alarm states")
    watch.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes")
    watch.add_argument("--count", type=int, default=0, help="stop after this many refreshes (0: never)")
    watch.set_defaults(handler=watch_command)


def duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 30m, 1h, 2d)")
    amount, unit = float(match.group(1)), match.group(2)
    return timedelta(seconds=amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


# -- reading jobs ------------------------------------------------------------------------------------
def job_store(stack: Stack) -> Any:
    from bedrock_jobs.job_store import JobStore

    return JobStore(stack.require("jobs_table_name"), dynamodb=stack.client("dynamodb"))


def get_job(stack: Stack, job_id: str) -> dict[str, Any]:
    store = job_store(stack)
    try:
        job = store.get(job_id)
    except Exception as exc:
        raise CliError(f"cannot read job {job_id}: {exc}") from exc
    if not job:
        raise CliError(f"no job {job_id!r} in {store.table_name}")
    return job


def status_command(args: argparse.Namespace, cli: Cli) -> int:
    job = get_job(load_stack(args), args.job_id)
    shown = {k: v for k, v in sorted(job.items()) if k not in HIDDEN}
    cli.emit(shown, lambda data: "\n".join(f"{k:24} {_short(v)}" for k, v in data.items()))
    return 0


def result_command(args: argparse.Namespace, cli: Cli) -> int:
    stack = load_stack(args)
    job = get_job(stack, args.job_id)
    if job.get("status") != "complete":
        raise CliError(f"job {args.job_id} is {job.get('status')}, not complete" + _error_suffix(job))
    text = job.get("result")
    if text is None and job.get("result_uri"):
        bucket, _, key = str(job["result_uri"]).removeprefix("s3://").partition("/")
        try:
            text = stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except Exception as exc:
            raise CliError(f"cannot read the result at {job['result_uri']}: {exc}") from exc
    cli.emit({"job_id": args.job_id, "result": text, "result_uri": job.get("result_uri")}, str(text))
    return 0


def jobs_command(args: argparse.Namespace, cli: Cli) -> int:
    stack = load_stack(args)
    since = datetime.now(UTC) - (args.since or timedelta(days=1 if args.status == "failed" else 3650))
    rows = list(_failed_since(stack, since, args.limit) if args.status == "failed" else [])
    if args.status != "failed":
        rows = list(_scan_status(stack, args.status, since, args.limit))
    columns = ("job_id", "status", "task", "mode", "updated_at", "failed_at", "error")
    cli.emit(
        rows, lambda data: _table(data, columns) if data else f"no {args.status} jobs since {_iso(since)}"
    )
    return 0


def _failed_since(stack: Stack, since: datetime, limit: int) -> Iterator[dict[str, Any]]:
    """Newest first, from the sparse index of failures: one Query per day of the window."""
    from bedrock_jobs.job_store import FAILED_DAY, FAILED_INDEX, _from_item

    index = stack.get("jobs_table_failed_index_name") or FAILED_INDEX
    ddb, table = stack.client("dynamodb"), stack.require("jobs_table_name")
    day, found = datetime.now(UTC).date(), 0
    while day >= since.date() and found < limit:
        pages = ddb.get_paginator("query").paginate(
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#day = :day AND failed_at >= :since",
            ExpressionAttributeNames={"#day": FAILED_DAY},
            ExpressionAttributeValues={":day": {"S": day.isoformat()}, ":since": {"S": _iso(since)}},
            ScanIndexForward=False,
        )
        for page in pages:
            for item in page.get("Items", []):
                yield _from_item(item)
                found += 1
                if found >= limit:
                    return
        day -= timedelta(days=1)


def _scan_status(stack: Stack, status: str, since: datetime, limit: int) -> Iterator[dict[str, Any]]:
    """Other statuses have no index (every job passes through them): a filtered Scan, which reads the
    whole table — fine for an investigation, not for a dashboard."""
    from bedrock_jobs.job_store import _from_item

    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.require("jobs_table_name"),
            FilterExpression="#s = :s AND (attribute_not_exists(updated_at) OR updated_at >= :since)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status}, ":since": {"S": _iso(since)}},
        )
    )
    found = 0
    for page in pages:
        for item in page.get("Items", []):
            yield {k: v for k, v in _from_item(item).items() if k not in HIDDEN}
            found += 1
            if found >= limit:
                return


# -- submitting --------------------------------------------------------------------------------------
def _jobs_from(args: argparse.Namespace) -> list[dict[str, Any]]:
    from bedrock_jobs_local.inputs import InputError, load_input

    if args.source == "-":
        jobs: list[dict[str, Any]] = [{"task": "summarize", "document": sys.stdin.read()}]
    elif Path(args.source).exists():
        try:
            jobs = load_input(Path(args.source))
        except InputError as exc:
            raise CliError(str(exc)) from exc
    else:
        jobs = [{"task": "summarize", "document": args.source}]
    labels = [x.strip() for x in args.labels.split(",") if x.strip()] if args.labels else None
    for job in jobs:
        if args.task:
            job["task"] = args.task
        if labels is not None:
            job["labels"] = labels
        if args.mode:
            job["mode"] = args.mode
    if not jobs:
        raise CliError(f"no jobs in {args.source}")
    return jobs


@contextlib.contextmanager
def producer_settings(stack: Stack) -> Iterator[None]:
    """The producer's environment for the duration of a submission: the library then validates, writes
    and enqueues exactly as ``POST /jobs`` does."""
    import bedrock_jobs

    environment = stack.producer_environment()
    if stack.endpoint_url:
        environment |= {"AWS_ENDPOINT_URL": stack.endpoint_url}
    if stack.region:
        environment |= {"AWS_REGION": stack.region, "AWS_DEFAULT_REGION": stack.region}
    if stack.profile:
        environment |= {"AWS_PROFILE": stack.profile}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    bedrock_jobs.reset_caches()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        bedrock_jobs.reset_caches()


def submit_command(args: argparse.Namespace, cli: Cli) -> int:
    from bedrock_jobs.submission import submit_jobs

    stack = load_stack(args)
    jobs = _jobs_from(args)
    fields = ("task", "document", "labels", "model_id", "metadata", "idempotency_key", "mode")
    with producer_settings(stack):
        try:
            results = submit_jobs([{k: job[k] for k in fields if job.get(k) is not None} for job in jobs])
        except Exception as exc:
            raise CliError(f"submission failed: {exc}") from exc
    rows = [
        {"index": i, "job_id": r.job_id, "status": r.status, "error": r.error, "status_code": r.status_code}
        for i, r in enumerate(results)
    ]
    rejected = [r for r in rows if r["error"]]
    if args.wait and len(rejected) < len(rows):
        _wait(stack, rows, args, cli)
    cli.emit(
        {"submitted": len(rows) - len(rejected), "rejected": len(rejected), "jobs": rows},
        lambda data: _table(data["jobs"], ("index", "job_id", "status", "error")),
    )
    if rejected:
        return 1
    return 1 if args.wait and any(r["status"] not in TERMINAL for r in rows) else 0


def _wait(stack: Stack, rows: list[dict[str, Any]], args: argparse.Namespace, cli: Cli) -> None:
    waiting = {r["job_id"]: r for r in rows if r["job_id"] and not r["error"]}
    deadline = time.monotonic() + args.timeout
    bar = Progress(len(waiting), cli.err)
    while True:
        for job_id, row in waiting.items():
            if row["status"] not in TERMINAL:
                row["status"] = get_job(stack, job_id).get("status")
        done = Counter(r["status"] for r in waiting.values())
        bar.show(done)
        if all(r["status"] in TERMINAL for r in waiting.values()) or time.monotonic() > deadline:
            bar.finish()
            return
        time.sleep(args.interval)


class Progress:
    """One line redrawn in place on a terminal; a line per change otherwise (CI logs, pipes)."""

    def __init__(self, total: int, stream: Any) -> None:
        self.total, self.stream, self.last = total, stream, ""
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def show(self, counts: Counter[str]) -> None:
        finished = counts.get("complete", 0) + counts.get("failed", 0)
        width = 30
        filled = int(width * finished / self.total) if self.total else width
        line = f"[{'#' * filled}{'.' * (width - filled)}] {finished}/{self.total} · " + " · ".join(
            f"{s} {counts.get(s, 0)}" for s in STATUSES
        )
        if self.tty:
            self.stream.write("\r" + line)
        elif line != self.last:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last = line

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")


# -- watching ----------------------------------------------------------------------------------------
def snapshot(stack: Stack) -> dict[str, Any]:
    """Queue depths, jobs by status and alarm states, as of now."""
    sqs = stack.client("sqs")
    queues: dict[str, dict[str, int]] = {}
    for name in ("queue_url", "dlq_url", "batch_queue_url", "batch_dlq_url"):
        url = stack.get(name)
        if not url:
            continue
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        queues[name.removesuffix("_url")] = {
            "waiting": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        }
    statuses: Counter[str] = Counter()
    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.require("jobs_table_name"),
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
        )
    )
    for page in pages:
        statuses.update(item.get("status", {}).get("S", "?") for item in page.get("Items", []))
    alarms: dict[str, str] = {}
    names = stack.get("alarm_names")
    if names:
        listed = list(names.values()) if isinstance(names, dict) else list(names)
        try:
            for chunk in range(0, len(listed), 100):
                response = stack.client("cloudwatch").describe_alarms(AlarmNames=listed[chunk : chunk + 100])
                alarms.update({a["AlarmName"]: a["StateValue"] for a in response.get("MetricAlarms", [])})
        except Exception as exc:  # alarms are a nicety: the queues and jobs still show
            alarms = {"(unavailable)": str(exc)[:80]}
    return {"at": _iso(datetime.now(UTC)), "queues": queues, "jobs": dict(statuses), "alarms": alarms}


def _snapshot_line(data: dict[str, Any]) -> str:
    queues = " · ".join(f"{n} {q['waiting']}+{q['in_flight']}" for n, q in data["queues"].items())
    jobs = " · ".join(f"{s} {data['jobs'].get(s, 0)}" for s in STATUSES)
    firing = [name for name, state in data["alarms"].items() if state == "ALARM"]
    alarms = f"ALARM: {', '.join(firing)}" if firing else f"alarms OK ({len(data['alarms'])})"
    return f"{data['at']}  queues (waiting+in flight) {queues}  |  jobs {jobs}  |  {alarms}"


def watch_command(args: argparse.Namespace, cli: Cli) -> int:
    stack = load_stack(args)
    tty = bool(getattr(cli.out, "isatty", lambda: False)()) and not cli.as_json
    shown = 0
    while True:
        data = snapshot(stack)
        if tty:
            cli.out.write("\x1b[H\x1b[2J" + _snapshot_line(data).replace("  |  ", "\n") + "\n")
            cli.out.flush()
        else:
            cli.emit(data, _snapshot_line)
        shown += 1
        if args.count and shown >= args.count:
            return 0
        time.sleep(args.interval)


# -- formatting --------------------------------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _short(value: Any, width: int = 100) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _error_suffix(job: dict[str, Any]) -> str:
    return f": {job['error']}" if job.get("error") else ""


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    columns = tuple(c for c in columns if any(r.get(c) not in (None, "") for r in rows))
    cells = [[_short(r.get(c) if r.get(c) is not None else "", 60) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
