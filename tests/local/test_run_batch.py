"""``make run ARGS="--mode batch"`` and ``--mode mixed``: the batch path end to end through the real
handlers, the fake control plane and the embedded AWS; the run's cost priced on-demand and in batch.

Invariants are read from the fakes' own logs (batch records answered by the control plane, Converse calls
answered by the runtime fake) and from the job table, not from what the functions say they did.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from bedrock_jobs_cli.pricing import (
    DEFAULT_PRICES,
    ModelPrice,
    PricingError,
    base_model_id,
    load_prices,
    price_for,
    run_cost,
)
from bedrock_jobs_local import run as run_module
from bedrock_jobs_local.report import build_report

from tests.local.test_run import _data

LABELS = ["billing", "bug", "shipping"]
FAST = ["--aws-server", "process", "--progress", "lines", "--time-scale", "100", "--latency", "0"]
FAST += ["--latency-jitter", "0", "--throttle-rate", "0.1", "--error-rate", "0.05", "--timeout-rate", "0"]


def _jobs_file(tmp_path: Path, count: int) -> Path:
    jobs = []
    for n in range(count):
        if n % 2:
            jobs.append(
                {"task": "classify", "document": f"Ticket {n}: billed twice for billing.", "labels": LABELS}
            )
        else:
            jobs.append({"task": "summarize", "document": f"Report {n}. Revenue rose. The board met."})
    jobs.append({"task": "summarize", "document": "Attachment could not be read: POISON bytes."})
    jobs.append({"task": "classify", "document": "Template INVALID-INPUT here.", "labels": LABELS})
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(json.dumps(j) for j in jobs) + "\n")
    return path


def _run(tmp_path: Path, *extra: str, count: int = 16) -> tuple[int, dict, str]:
    output = tmp_path / "out"
    stdout = io.StringIO()
    args = run_module.parse_args(
        ["--input", str(_jobs_file(tmp_path, count)), "--output", str(output), *FAST, *extra]
    )
    code = run_module.run(args, stdout=stdout, stderr=io.StringIO())
    return code, json.loads((output / "run-report.json").read_text()), stdout.getvalue()


def test_a_batch_run_answers_every_job_once_in_batch_or_once_on_demand(tmp_path):
    code, report, table = _run(
        tmp_path, "--mode", "batch", "--batch-record-error-rate", "0.15", "--batch-unprocessed-rate", "0.15"
    )
    assert code == 0, report["problems"]
    assert (report["submitted"], report["completed"], report["failed"], report["lost"]) == (18, 16, 2, 0)
    batch = report["batch"]
    # Every job waited for the batch; one batch job took them all (the minimum is the run's size).
    assert batch["jobs_in_batch_mode"] == 18 and batch["settings"]["BATCH_MIN_RECORDS"] == "18"
    [batch_job] = batch["batch_jobs"]
    assert batch_job["totalRecordCount"] == 18 and batch_job["status"] == "PartiallyCompleted"
    # The poison and invalid documents are error records (the local model cannot answer them), then
    # fail on demand exactly as in a realtime run: archived, and paged when dead-lettered.
    assert batch["record_errors"] >= 2 and batch["unprocessed"] >= 1
    fell_back = batch["record_errors"] + batch["unprocessed"]
    assert (batch["answered_by_batch"], batch["sent_to_realtime"]) == (18 - fell_back, fell_back)
    assert all(e["ok"] for e in report["expected_failures"]) and report["paged"] == 1
    assert report["duplicate_model_successes"] == 0 and batch["events_missed"] == 0
    assert batch["state_change_events"] >= 4  # Submitted → Validating → Scheduled → InProgress → final

    results = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert Counter(r["status"] for r in results) == {"complete": 16, "failed": 2}
    assert {r["result"] for r in results[:16] if r["task"] == "classify"} == {"billing"}

    cost = report["cost"]
    assert cost["priced_as"] == "anthropic.claude-haiku-4-5-20251001-v1:0"  # the module's model_id
    tokens = cost["tokens"]
    price = DEFAULT_PRICES[cost["priced_as"]]
    expected = price.on_demand_usd(
        tokens["realtime"]["input"], tokens["realtime"]["output"]
    ) + price.batch_usd(tokens["batch"]["input"], tokens["batch"]["output"])
    assert cost["as_run_usd"] == pytest.approx(expected, abs=1e-6)
    assert cost["batch_usd"] < cost["as_run_usd"] < cost["on_demand_usd"] and cost["saved_percent"] > 0
    assert tokens["batch"]["input"] + tokens["realtime"]["input"] == report["tokens"]["input"]
    assert "all on-demand $" in table and "all batch $" in table and "answered by batch" in table


def test_a_mixed_run_without_faults_halves_the_price_of_its_batch_half(tmp_path):
    code, report, _ = _run(tmp_path, "--mode", "mixed", "--no-faults", count=8)
    assert code == 0, report["problems"]
    batch = report["batch"]
    assert batch["jobs_in_batch_mode"] == 5  # indexes 0, 2, 4, 6, 8 of 10
    # Without faults only the poison document (index 8, batch) is an error record: it fails on demand.
    assert (batch["answered_by_batch"], batch["sent_to_realtime"], batch["record_errors"]) == (4, 1, 1)
    assert (report["completed"], report["failed"], report["lost"]) == (8, 2, 0)
    cost = report["cost"]
    batch_tokens = cost["tokens"]["batch"]
    price = DEFAULT_PRICES[cost["priced_as"]]
    saved = price.on_demand_usd(batch_tokens["input"], batch_tokens["output"]) / 2
    assert cost["on_demand_usd"] - cost["as_run_usd"] == pytest.approx(saved, abs=1e-6)


def test_jobs_below_the_minimum_go_realtime_after_the_maximum_wait(tmp_path):
    code, report, _ = _run(
        tmp_path,
        "--mode",
        "batch",
        "--no-faults",
        "--batch-min-records",
        "100",
        "--batch-max-wait-hours",
        "0.0001",
        count=4,
    )
    assert code == 0, report["problems"]
    batch = report["batch"]
    assert batch["batch_jobs"] == [] and batch["sent_to_realtime"] == 6 and batch["answered_by_batch"] == 0
    assert (report["completed"], report["failed"], report["lost"]) == (4, 2, 0)
    assert report["cost"]["as_run_usd"] == report["cost"]["on_demand_usd"]


def test_batch_mode_needs_the_local_model():
    with pytest.raises(SystemExit) as exit_:
        run_module.parse_args(["--mode", "batch", "--bedrock", "--model-id", "amazon.nova-lite-v1:0"])
    assert exit_.value.code == 2


def test_an_unreadable_price_file_is_a_usage_error(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text('{"amazon.nova-lite-v1:0": {"input_per_million": "cheap"}}')
    stderr = io.StringIO()
    args = run_module.parse_args(["--jobs", "1", "--prices", str(prices), "--output", str(tmp_path / "o")])
    assert run_module.run(args, stdout=io.StringIO(), stderr=stderr) == 2
    assert "input_per_million must be a number" in stderr.getvalue()


# -- pricing -----------------------------------------------------------------------------------------
def test_inference_profiles_and_arns_are_priced_as_their_model():
    assert base_model_id("global.anthropic.claude-haiku-4-5-20251001-v1:0") == (
        "anthropic.claude-haiku-4-5-20251001-v1:0"
    )
    assert base_model_id("us.amazon.nova-lite-v1:0") == "amazon.nova-lite-v1:0"
    arn = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-micro-v1:0"
    assert price_for(arn).model_id == "amazon.nova-micro-v1:0"
    with pytest.raises(PricingError, match=r"no price for 'acme\.unknown-v1'"):
        price_for("acme.unknown-v1")


def test_a_price_file_replaces_and_adds_models(tmp_path, monkeypatch):
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "us.amazon.nova-lite-v1:0": {"input_per_million": 0.07, "output_per_million": 0.28},
                "acme.model-v1": {
                    "input_per_million": 1,
                    "output_per_million": 2,
                    "batch_input_per_million": 0.4,
                    "batch_output_per_million": 0.8,
                },
            }
        )
    )
    prices = load_prices(path)
    assert prices["amazon.nova-lite-v1:0"].input_per_million == 0.07
    assert not prices["amazon.nova-lite-v1:0"].batch_supported  # the file gives no batch price
    assert prices["acme.model-v1"].batch_usd(1_000_000, 1_000_000) == pytest.approx(1.2)
    assert prices["amazon.nova-pro-v1:0"] == DEFAULT_PRICES["amazon.nova-pro-v1:0"]
    monkeypatch.setenv("BEDROCK_JOBS_PRICES", str(path))
    assert load_prices()["acme.model-v1"].output_per_million == 2


def test_run_cost_prices_each_path_at_its_own_rate():
    price = ModelPrice("m", 1.0, 5.0, 0.5, 2.5)
    cost = run_cost(price, realtime_tokens=(1_000_000, 100_000), batch_tokens=(3_000_000, 300_000))
    assert cost["on_demand_usd"] == pytest.approx(4 * 1.0 + 0.4 * 5.0)  # 6.0
    assert cost["batch_usd"] == pytest.approx(3.0)
    assert cost["as_run_usd"] == pytest.approx(1.5 + 2.25)
    assert (cost["saved_usd"], cost["saved_percent"]) == (pytest.approx(2.25), 37.5)
    # A model without batch prices: the batch path is costed on-demand and nothing is saved.
    no_batch = ModelPrice("m", 1.0, 5.0, None, None)
    cost = run_cost(no_batch, realtime_tokens=(0, 0), batch_tokens=(1_000_000, 0))
    assert (cost["batch_usd"], cost["as_run_usd"], cost["saved_usd"]) == (None, 1.0, 0.0)


def test_a_job_answered_in_batch_and_again_on_demand_is_a_duplicate():
    data = _data(
        ["complete", "complete"],
        model_successes_by_job=Counter({"j0": 1}),
        batch_answers_by_job=Counter({"j0": 1, "j1": 1}),
    )
    report = build_report(data)
    assert not report["ok"] and report["duplicate_model_successes"] == 1
