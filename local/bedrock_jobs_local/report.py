"""``run-report.json`` and the summary table: what happened to every job, and whether anything was lost."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bedrock_jobs_cli.pricing import ModelPrice, run_cost

from .pipeline import Submission

if TYPE_CHECKING:
    from .batch_path import BatchPath


@dataclass
class RunData:
    """Everything the run observed, collected after the mappings stopped."""

    jobs: list[dict[str, Any]]
    submissions: list[Submission]
    records: list[dict[str, Any]]
    archived: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    notices: int
    consumer: dict[str, Any]
    archiver: dict[str, Any]
    queues_at_end: dict[str, dict[str, int]]
    expected_failures: dict[int, str]  # job index -> "poison" | "invalid"
    timings: dict[str, float]
    started_at: str
    finished_at: str
    settings: dict[str, Any]
    mode: dict[str, Any]
    model_calls: Counter[str] = field(default_factory=Counter)
    model_successes_by_job: Counter[str] = field(default_factory=Counter)
    timed_out: bool = False
    environments: dict[str, int] = field(default_factory=dict)  # execution environments per function
    #: What the batch path did (``batch_summary``), or None when batch mode was off.
    batch: dict[str, Any] | None = None
    #: The fake control plane's own log: model answers per job (recordId) across all batch jobs.
    batch_answers_by_job: Counter[str] = field(default_factory=Counter)
    #: The prices the run's tokens are costed at.
    price: ModelPrice | None = None
    #: A plan run's prediction (run.py ``_plan_summary``), or None.
    plan: dict[str, Any] | None = None


def batch_summary(batch: BatchPath) -> dict[str, Any]:
    """The batch jobs as the fake control plane ran them, and how the functions were driven."""
    jobs = [batch.fake.manifest(job_id) for job_id in batch.fake.job_ids()]
    return {
        "batch_jobs": jobs,
        "records": sum(j["totalRecordCount"] for j in jobs),
        "record_errors": sum(j["errorRecordCount"] for j in jobs),
        "unprocessed": sum(j["totalRecordCount"] - j["processedRecordCount"] for j in jobs),
        "submitter_runs": len(batch.submitter_runs),
        "collector_runs": len(batch.collector_runs),
        "state_change_events": len(batch.fake.events),
        "events_missed": batch.events_missed,
        "invocation_errors": batch.invocation_errors[:10],
        "settings": batch.config.environment(),
    }


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def job_latency(record: dict[str, Any]) -> float | None:
    start = _parse_time(record.get("submitted_at") or record.get("created_at"))
    end = _parse_time(record.get("completed_at") or record.get("failed_at"))
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


# Expected failures caused by the job's own input: failed and archived by the consumer, counted in
# JobsFailedOnInput (alarmed), never paged one by one.
INPUT_CAUSED = frozenset({"invalid", "guardrail"})


def needs_page(archived: dict[str, Any]) -> bool:
    """Whether an archived message should have been listed in an on-call alert.

    The consumer archives input-caused failures without paging; the DLQ archiver pages every dead
    letter except a late copy of a job that completed, or one whose job was still under a live lease.
    """
    if archived.get("archived_by") != "dlq_archiver":
        return False
    reason = str(archived.get("reason", ""))
    return "the job is complete" not in reason and "under a live lease" not in reason


def build_report(data: RunData) -> dict[str, Any]:
    accepted = {s.job_id: s for s in data.submissions if s.accepted and s.job_id}
    by_id = {r["job_id"]: r for r in data.records if "job_id" in r}
    statuses = Counter(str(by_id.get(job_id, {}).get("status", "missing")) for job_id in accepted)
    submitted = len(accepted)
    completed = statuses.get("complete", 0)
    failed = statuses.get("failed", 0)
    lost = submitted - completed - failed
    problems: list[str] = []

    rejected = [s for s in data.submissions if not s.accepted]
    server_errors = [s for s in rejected if s.status_code >= 500]
    if server_errors:
        problems.append(
            f"{len(server_errors)} submission(s) got a {server_errors[0].status_code} from POST /jobs "
            f"(first: {server_errors[0].error}); their callers cannot know whether the job exists"
        )
    unexpected = sorted(set(by_id) - set(accepted))
    if unexpected:
        problems.append(f"{len(unexpected)} job record(s) in the table that no accepted submission returned")
    if lost:
        stuck = {k: v for k, v in statuses.items() if k not in ("complete", "failed")}
        problems.append(f"{lost} job(s) lost (neither complete nor failed): {dict(stuck)}")

    archived_job_ids = {a.get("job_id") for a in data.archived if a.get("job_id")}
    # One alert per archiver invocation lists its failures; older single-failure alerts list themselves.
    listed = [f for page in data.pages for f in (page.get("failures") or [page])]
    paged_messages = {f.get("message_id") for f in listed}
    paged_jobs = {f.get("job_id") for f in listed if f.get("job_id")}
    unpaged = [
        a.get("message_id")
        for a in data.archived
        if needs_page(a) and a.get("message_id") not in paged_messages
    ]
    if unpaged:
        problems.append(f"{len(unpaged)} archived failure(s) without a page: {unpaged[:5]}")

    expected: list[dict[str, Any]] = []
    for index, kind in sorted(data.expected_failures.items()):
        submission = data.submissions[index] if index < len(data.submissions) else None
        job_id = submission.job_id if submission and submission.accepted else None
        record = by_id.get(job_id or "", {})
        entry = {
            "index": index,
            "kind": kind,
            "sample_id": (data.jobs[index].get("metadata") or {}).get("sample_id"),
            "job_id": job_id,
            "status": record.get("status"),
            "error": record.get("error"),
            "archived": job_id in archived_job_ids,
            "paged": job_id in paged_jobs,
            "archive_uri": record.get("archive_uri"),
        }
        entry["ok"] = (
            entry["status"] == "failed" and entry["archived"] and (entry["paged"] or kind in INPUT_CAUSED)
        )
        expected.append(entry)
        if not entry["ok"]:
            problems.append(
                f"{kind} document {entry['sample_id'] or index} (job {job_id}) ended {entry['status']}, "
                f"archived={entry['archived']}, paged={entry['paged']}"
            )

    # Realtime calls (the runtime fake's log) and batch records (the control plane's) together: a job that
    # fell back from batch to realtime must not have been answered on both paths.
    answers = data.model_successes_by_job + data.batch_answers_by_job
    duplicates = {job: n for job, n in answers.items() if job and n > 1}
    if duplicates:
        problems.append(f"{len(duplicates)} job(s) got more than one successful model response")
    leftover = {name: d for name, d in data.queues_at_end.items() if sum(d.values())}
    if leftover:
        problems.append(f"messages left on the queues: {leftover}")
    if data.timed_out:
        problems.append("the run hit --max-wait before every job finished")

    latencies = [x for x in (job_latency(by_id[j]) for j in accepted if j in by_id) if x is not None]
    complete_records = [by_id[j] for j in accepted if by_id.get(j, {}).get("status") == "complete"]
    first_submit = min(
        (t for t in (_parse_time(by_id[j].get("submitted_at")) for j in accepted if j in by_id) if t),
        default=None,
    )
    last_done = max(
        (
            t
            for t in (
                _parse_time(r.get("completed_at") or r.get("failed_at"))
                for r in (by_id[j] for j in accepted if j in by_id)
            )
            if t
        ),
        default=None,
    )
    span = (last_done - first_submit).total_seconds() if first_submit and last_done else None
    attempts = [int(by_id[j].get("attempts") or 0) for j in accepted if j in by_id]
    input_tokens = sum(int(r.get("input_tokens") or 0) for r in complete_records)
    output_tokens = sum(int(r.get("output_tokens") or 0) for r in complete_records)
    model_failures = {k: v for k, v in data.model_calls.items() if k != "ok"}
    batch_section = _batch_section(data, accepted, by_id, problems)
    cost = None
    if data.price is not None:
        by_path = {"batch": [0, 0], "realtime": [0, 0]}
        for record in complete_records:
            path = by_path["batch" if record["job_id"] in data.batch_answers_by_job else "realtime"]
            path[0] += int(record.get("input_tokens") or 0)
            path[1] += int(record.get("output_tokens") or 0)
        cost = run_cost(
            data.price,
            realtime_tokens=(by_path["realtime"][0], by_path["realtime"][1]),
            batch_tokens=(by_path["batch"][0], by_path["batch"][1]),
        )

    return {
        "ok": not problems,
        "problems": problems,
        "submitted": submitted,
        "completed": completed,
        "failed": failed,
        "archived": len(data.archived),
        "lost": lost,
        "rejected": len(rejected),
        "dead_lettered": int(data.archiver.get("distinct_messages", 0)),
        "paged": len(data.pages),
        "notices": data.notices,
        "statuses": dict(statuses),
        "expected_failures": expected,
        "timings": {
            "started_at": data.started_at,
            "finished_at": data.finished_at,
            **{k: round(v, 3) for k, v in data.timings.items()},
            "processing_span_seconds": round(span, 3) if span is not None else None,
            "throughput_jobs_per_second": round((completed + failed) / span, 2) if span else None,
            "job_latency_seconds": {
                "p50": _round(percentile(latencies, 0.50)),
                "p95": _round(percentile(latencies, 0.95)),
                "max": _round(max(latencies) if latencies else None),
                "mean": _round(sum(latencies) / len(latencies) if latencies else None),
            },
        },
        "tokens": {"input": input_tokens, "output": output_tokens, "total": input_tokens + output_tokens},
        "cost": cost,
        "batch": batch_section,
        "plan": plan_section(
            data.plan, _seconds_between(data.plan and data.plan.get("backlog_released_at"), last_done)
        ),
        "retries": {
            "sqs_redeliveries": int(data.consumer.get("redeliveries", 0)),
            "job_attempts_beyond_first": sum(max(0, a - 1) for a in attempts),
            "model_calls": sum(data.model_calls.values()),
            "model_call_failures": model_failures,
            "whole_batch_failures": int(data.consumer.get("whole_batch_failures", 0)),
        },
        "duplicate_model_successes": len(duplicates),
        "mappings": {"consumer": data.consumer, "archiver": data.archiver},
        "execution_environments": data.environments,
        "queues_at_end": data.queues_at_end,
        "mode": data.mode,
        "settings": data.settings,
    }


def _seconds_between(start: Any, end: datetime | None) -> float | None:
    begun = _parse_time(start)
    return None if begun is None or end is None else max(0.0, (end - begun).total_seconds())


def plan_section(plan: dict[str, Any] | None, span_seconds: float | None) -> dict[str, Any] | None:
    """The plan's predicted makespan next to the simulated one: from the moment the consumer was let at
    the waiting documents to the last one done, on the run's clock, multiplied back by the time scale."""
    if plan is None:
        return None
    predicted = float(plan["predicted_makespan_minutes"])
    simulated = None if span_seconds is None else span_seconds * float(plan["time_scale"]) / 60
    return {
        **plan,
        "simulated_makespan_minutes": None if simulated is None else round(simulated, 2),
        "ratio": None if simulated is None or not predicted else round(simulated / predicted, 3),
    }


def _batch_section(
    data: RunData, accepted: dict[str, Submission], by_id: dict[str, dict[str, Any]], problems: list[str]
) -> dict[str, Any] | None:
    if data.batch is None:
        return None
    # Posted in batch mode (a record sent back to realtime says mode "realtime" from then on).
    batch_jobs = [
        s.job_id for s in accepted.values() if s.job_id and data.jobs[s.index].get("mode") == "batch"
    ]
    answered = [j for j in batch_jobs if j in data.batch_answers_by_job]
    section = {
        **data.batch,
        "jobs_in_batch_mode": len(batch_jobs),
        "answered_by_batch": len(answered),
        "sent_to_realtime": len(batch_jobs) - len(answered),
    }
    if data.batch["invocation_errors"]:
        problems.append(
            f"batch functions failed {len(data.batch['invocation_errors'])} time(s): "
            f"{data.batch['invocation_errors'][0]}"
        )
    return section


def _usd(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _batch_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    batch = report.get("batch")
    if batch:
        statuses = Counter(j["status"] for j in batch["batch_jobs"])
        ended = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "none"
        rows.append(
            (
                "batch",
                f"{batch['jobs_in_batch_mode']} job(s) in batch mode · "
                f"{len(batch['batch_jobs'])} batch job(s) ({ended}) · answered by "
                f"batch {batch['answered_by_batch']} · back to realtime {batch['sent_to_realtime']} "
                f"(record errors {batch['record_errors']}, never processed {batch['unprocessed']})",
            )
        )
    cost = report.get("cost")
    if cost:
        rows.append(
            (
                "cost",
                f"priced as {cost['priced_as']}: all on-demand {_usd(cost['on_demand_usd'])} · all batch "
                f"{_usd(cost['batch_usd'])} · this run {_usd(cost['as_run_usd'])}"
                + (f" (saved {cost['saved_percent']:g} %)" if cost["saved_usd"] > 0 else ""),
            )
        )
    return rows


def _plan_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    plan = report.get("plan")
    if not plan:
        return []
    simulated = plan["simulated_makespan_minutes"]
    return [
        (
            "plan",
            f"predicted makespan {plan['predicted_makespan_minutes']:g} min · simulated "
            + ("n/a" if simulated is None else f"{simulated:g} min")
            + (f" (ratio {plan['ratio']:g})" if plan["ratio"] is not None else "")
            + f" · {plan['documents']} documents × {plan['seconds_per_document']:g} s"
            + f" at ×{plan['time_scale']:g}",
        )
    ]


def summary_table(report: dict[str, Any], outputs: dict[str, str]) -> str:
    t = report["timings"]
    lat = t["job_latency_seconds"]
    r = report["retries"]
    mode = report["mode"]
    failures = ", ".join(f"{k} {v}" for k, v in sorted(r["model_call_failures"].items())) or "none"
    model = mode.get("model")
    rows = [
        (
            "model",
            f"{model}"
            + (f" · faults {'on' if mode.get('faults') else 'off'}" if mode.get("local_model") else "")
            + (f" · guardrail {mode['guardrail']}" if mode.get("guardrail") else ""),
        ),
        (
            "time scale",
            f"×{report['settings']['time_scale']:g} (visibility "
            f"{report['settings']['effective']['queue_visibility_timeout_seconds']} s, module "
            f"{report['settings']['module']['effective_visibility_timeout']} s)",
        ),
        (
            "jobs",
            f"submitted {report['submitted']} · complete {report['completed']} · failed {report['failed']}"
            f" · lost {report['lost']}" + (f" · rejected {report['rejected']}" if report["rejected"] else ""),
        ),
        (
            "failures",
            f"dead-lettered {report['dead_lettered']} · archived {report['archived']} · "
            f"paged {report['paged']}",
        ),
        (
            "throughput",
            f"{t['throughput_jobs_per_second'] or 0:.1f} jobs/s "
            f"(processing span {_seconds(t['processing_span_seconds'])}, wall {_seconds(t['wall_seconds'])})",
        ),
        (
            "job latency",
            f"p50 {_seconds(lat['p50'])} · p95 {_seconds(lat['p95'])} · max {_seconds(lat['max'])}",
        ),
        ("tokens", f"input {report['tokens']['input']:,} · output {report['tokens']['output']:,}"),
        *_batch_rows(report),
        *_plan_rows(report),
        (
            "retries",
            f"SQS redeliveries {r['sqs_redeliveries']} · job attempts beyond the first "
            f"{r['job_attempts_beyond_first']}"
            + (f" · model calls {r['model_calls']} (failed: {failures})" if mode.get("local_model") else ""),
        ),
        (
            "invocations",
            f"consumer {report['mappings']['consumer'].get('invocations', 0)} "
            f"(max {report['mappings']['consumer'].get('max_in_flight', 0)} at once, "
            f"{report['execution_environments'].get('consumer', 0)} environments) · "
            f"archiver {report['mappings']['archiver'].get('invocations', 0)}",
        ),
    ]
    rows += [(name, path) for name, path in outputs.items()]
    width = max(len(name) for name, _ in rows)
    lines = ["", "bedrock-jobs local run", "─" * 72]
    lines += [f"  {name.ljust(width)}  {value}" for name, value in rows]
    lines.append("─" * 72)
    for entry in report["expected_failures"]:
        mark = "✓" if entry["ok"] else "✗"
        lines.append(
            f"  {mark} {entry['kind']} document {entry['sample_id']}: {entry['status']}, "
            f"archived={entry['archived']}, paged={entry['paged']} ({entry['error']})"
        )
    if report["ok"]:
        lines.append(
            f"OK: lost = 0; {report['archived']} archived failure(s): every dead-lettered one paged, "
            "input-caused ones counted (JobsFailedOnInput) without a page."
        )
    else:
        lines.append("FAILED:")
        lines += [f"  - {p}" for p in report["problems"]]
    return "\n".join(lines) + "\n"
