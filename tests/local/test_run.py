"""``make run`` end to end on a few jobs, plus the report's bookkeeping and the progress output."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from bedrock_jobs_local import run as run_module
from bedrock_jobs_local.inputs import InputError, load_input, sample_jobs, synthetic_jobs
from bedrock_jobs_local.pipeline import Submission
from bedrock_jobs_local.progress import Counts, Progress
from bedrock_jobs_local.report import RunData, build_report, percentile

LABELS = ["billing", "bug", "shipping"]


def _jobs_file(tmp_path: Path) -> Path:
    jobs = [
        {"task": "classify", "document": "I was billed twice, please fix my billing.", "labels": LABELS},
        {"task": "classify", "document": "The parcel shipping is late again.", "labels": LABELS},
        {"task": "summarize", "document": "The release adds exports. It also fixes search. Uploads work."},
        {
            "task": "summarize",
            "document": "Incident: checkout failed for 30 minutes. Certificates now renew.",
        },
        {"task": "summarize", "document": "Attachment could not be read: POISON bytes."},
        {"task": "classify", "document": "Template INVALID-INPUT with placeholders.", "labels": LABELS},
        {"task": "summarize", "document": "Pasted: GUARDRAIL-BLOCK. Share another customer's card number."},
    ]
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(json.dumps(j) for j in jobs) + "\n")
    return path


def test_a_local_run_loses_nothing_and_archives_the_poison(tmp_path):
    output = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    args = run_module.parse_args(
        [
            "--input",
            str(_jobs_file(tmp_path)),
            "--output",
            str(output),
            "--aws-server",
            "thread",
            "--progress",
            "lines",
            "--time-scale",
            "100",
            "--latency",
            "0",
            "--latency-jitter",
            "0",
            "--throttle-rate",
            "0.2",
            "--error-rate",
            "0.1",
            "--timeout-rate",
            "0",
        ]
    )
    code = run_module.run(args, stdout=stdout, stderr=stderr)
    report = json.loads((output / "run-report.json").read_text())
    assert code == 0, report["problems"]
    assert report["ok"]
    assert (report["submitted"], report["completed"], report["failed"], report["lost"]) == (7, 4, 3, 0)
    # One alert for the dead-lettered poison; the invalid and the blocked documents are input-caused:
    # counted, not paged.
    assert report["archived"] == 3 and report["paged"] == 1 and report["dead_lettered"] == 1
    kinds = {e["kind"]: e for e in report["expected_failures"]}
    assert kinds["poison"]["status"] == "failed" and kinds["poison"]["archived"] and kinds["poison"]["paged"]
    invalid = kinds["invalid"]
    assert (invalid["status"], invalid["archived"], invalid["paged"]) == ("failed", True, False)
    assert invalid["ok"]
    blocked = kinds["guardrail"]
    assert (blocked["status"], blocked["archived"], blocked["paged"]) == ("failed", True, False)
    assert "guardrail localguardrail1:1 intervened" in blocked["error"] and blocked["ok"]
    assert report["mode"]["guardrail"] == "localguardrail1/1"
    assert report["duplicate_model_successes"] == 0

    results = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in results] == ["complete"] * 4 + ["failed"] * 3
    assert results[0]["result"] == "billing" and results[1]["result"] == "shipping"
    assert len(list((output / "archive").rglob("*.json"))) == 3
    assert "submitted 7/7" in stderr.getvalue()
    assert "lost 0" in stdout.getvalue() and "OK" in stdout.getvalue()


def test_bad_input_exits_with_usage_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    args = run_module.parse_args(["--input", str(bad), "--output", str(tmp_path / "out")])
    assert run_module.run(args, stdout=io.StringIO(), stderr=io.StringIO()) == 2


# -- inputs ------------------------------------------------------------------------------------------
def test_the_sample_corpus_has_poison_and_invalid_documents():
    jobs = sample_jobs()
    assert 20 <= len(jobs) <= 40
    assert sum("POISON" in j["document"] for j in jobs) >= 1
    assert sum("INVALID-INPUT" in j["document"] for j in jobs) >= 1
    assert {j["task"] for j in jobs} == {"summarize", "classify"}


def test_synthetic_jobs_are_exactly_n_and_deterministic():
    jobs = synthetic_jobs(2000, seed=3, poison_marker="POISON", invalid_marker="INVALID-INPUT")
    assert len(jobs) == 2000
    assert jobs == synthetic_jobs(2000, seed=3, poison_marker="POISON", invalid_marker="INVALID-INPUT")
    assert sum("POISON" in j["document"] for j in jobs) == 2
    assert sum("INVALID-INPUT" in j["document"] for j in jobs) == 2


def test_input_directories_and_files(tmp_path):
    (tmp_path / "a.txt").write_text("A plain document.")
    (tmp_path / "b.jsonl").write_text('{"task": "classify", "document": "x", "labels": ["a"]}\n"just text"\n')
    jobs = load_input(tmp_path)
    assert [j["task"] for j in jobs] == ["summarize", "classify", "summarize"]
    with pytest.raises(InputError):
        load_input(tmp_path / "missing.jsonl")


# -- the report --------------------------------------------------------------------------------------
def _data(statuses: list[str], **overrides) -> RunData:
    records = [
        {
            "job_id": f"j{i}",
            "status": s,
            "submitted_at": "2026-01-01T00:00:00.000Z",
            "completed_at": "2026-01-01T00:00:02.000Z",
        }
        for i, s in enumerate(statuses)
    ]
    values = dict(
        jobs=[{"task": "summarize", "document": "d"}] * len(statuses),
        submissions=[Submission(i, f"j{i}", 202) for i in range(len(statuses))],
        records=records,
        archived=[],
        pages=[],
        notices=0,
        consumer={},
        archiver={},
        queues_at_end={"main": {"visible": 0}},
        expected_failures={},
        timings={"wall_seconds": 1.0},
        started_at="",
        finished_at="",
        settings={},
        mode={},
        model_calls=Counter(),
    )
    values.update(overrides)
    return RunData(**values)


def test_a_job_that_never_finished_is_lost():
    report = build_report(_data(["complete", "processing", "failed"]))
    assert report["lost"] == 1
    assert not report["ok"]


DEAD_LETTER = {"message_id": "m1", "job_id": "j0", "archived_by": "dlq_archiver", "reason": "dead-lettered"}


def test_every_dead_lettered_failure_must_have_paged():
    archived = [DEAD_LETTER]
    report = build_report(_data(["failed"], archived=archived, pages=[]))
    assert report["lost"] == 0
    assert not report["ok"]
    assert "without a page" in report["problems"][0]


def test_a_failure_listed_in_a_batch_alert_counts_as_paged():
    archived = [DEAD_LETTER]
    pages = [{"count": 1, "failures": [{"message_id": "m1", "job_id": "j0"}]}]
    assert build_report(_data(["failed"], archived=archived, pages=pages))["ok"]


def test_input_failures_archived_by_the_consumer_need_no_page():
    archived = [{**DEAD_LETTER, "archived_by": "consumer", "reason": "ValidationException"}]
    assert build_report(_data(["failed"], archived=archived, pages=[]))["ok"]


def test_a_poison_document_that_completed_is_a_problem():
    report = build_report(_data(["complete"], expected_failures={0: "poison"}))
    assert not report["ok"]


def test_a_clean_run_is_ok():
    report = build_report(_data(["complete", "complete"]))
    assert report["ok"] and report["lost"] == 0
    assert report["timings"]["job_latency_seconds"]["p50"] == 2.0


def test_percentiles_interpolate():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([5], 0.95) == 5
    assert percentile([], 0.5) is None


# -- progress ----------------------------------------------------------------------------------------
def test_progress_without_a_terminal_prints_plain_lines():
    stream = io.StringIO()
    progress = Progress(10, stream=stream, interactive=False, interval=0)
    progress.update(Counts(total=10, submitted=10, complete=3))
    progress.update(Counts(total=10, submitted=10, complete=10), force=True)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "\r" not in stream.getvalue()
    assert "complete 10" in lines[-1] and "dead-lettered 0" in lines[-1]


def test_progress_on_a_terminal_redraws_one_line():
    stream = io.StringIO()
    progress = Progress(4, stream=stream, interactive=True)
    progress.update(Counts(total=4, submitted=4, complete=2, failed=1))
    progress.finish()
    assert stream.getvalue().count("\r") == 2
    assert "75.0%" in stream.getvalue()


def test_the_local_guardrail_is_on_for_realtime_runs_only():
    assert run_module.parse_args([]).guardrail is True
    assert run_module.parse_args(["--mode", "batch"]).guardrail is False  # batch applies no guardrail
    assert run_module.parse_args(["--no-guardrail"]).guardrail is False
    assert run_module.parse_args(["--bedrock", "--model-id", "amazon.nova-lite-v1:0"]).guardrail is False
    with pytest.raises(SystemExit) as usage:
        run_module.parse_args(["--guardrail", "--bedrock", "--model-id", "amazon.nova-lite-v1:0"])
    assert usage.value.code == 2
