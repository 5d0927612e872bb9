"""``bedrock-jobs plan``: the arithmetic, the quota check, the tfvars it writes, and its errors."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import hcl2
import pytest
from bedrock_jobs_cli import main as cli_main
from bedrock_jobs_cli import plan as plan_module
from bedrock_jobs_cli.plan import FALLBACK_MODULE_DEFAULTS, make_plan, module_defaults
from bedrock_jobs_cli.quotas import QuotaError, load_quotas
from bedrock_jobs_local.module_defaults import load_module_defaults

HAIKU_GLOBAL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
SPEC_KEYS = (
    "sequential_hours",
    "in_flight",
    "makespan_minutes",
    "requests_per_minute",
    "fits_quotas",
    "cost",
)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def plan_json(*argv: str) -> dict:
    code, out, err = run_cli("plan", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def write_json(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_plan_is_a_command_of_bedrock_jobs():
    assert plan_module in cli_main.COMMAND_MODULES


# -- the README example ------------------------------------------------------------------------------


def test_ten_thousand_documents_of_eight_seconds_finish_within_the_hour():
    plan = make_plan(documents=10_000, seconds_per_document=8, deadline_minutes=60, model_id=HAIKU_GLOBAL)
    assert plan.sequential_hours == 22.22  # 80,000 s one by one
    # 80 % of 60 min = 2,880 s; 10,000 × 8.25 s / 2,880 s = 28.6 → 3 invocations × 10 records = 30 in flight.
    assert (plan.target_minutes, plan.in_flight) == (48.0, 30)
    assert (plan.consumer_maximum_concurrency, plan.records_per_invocation, plan.batch_size) == (3, 10, 10)
    # ceil(10,000 / 30) = 334 waves of 8.25 s = 2,755.5 s; three invocations need no ramp-up.
    assert plan.waves == 334
    assert plan.makespan_minutes == round(334 * 8.25 / 60, 2) == 45.92
    assert plan.meets_deadline and plan.makespan_minutes < plan.target_minutes
    # 30 calls of 8 s each: 225 a minute; Claude Haiku 4.5 burns output 5×: 1,000 + 5 × 250 per request.
    assert plan.requests_per_minute == 225.0
    assert plan.tokens_per_minute == 225 * 2_250 == 506_250
    assert plan.quota_scope == "global"
    tokens_check = plan.quota_checks[0]
    assert tokens_check.name.startswith("Global cross-region model inference tokens per minute")
    assert (tokens_check.needed, tokens_check.quota) == (506_250, 5_000_000)
    assert plan.fits_quotas and plan.to_raise == []
    # Read timeout 3 × 8 s = 24 s; worst case 2 × (2 + 24) + 2 + 3 = 57 s → 60 s; visibility 6 × 60 + 5.
    assert (plan.bedrock_read_timeout_seconds, plan.consumer_timeout) == (24, 60)
    assert (plan.visibility_timeout_seconds, plan.job_lease_seconds) == (365, 90)
    # 10 M input tokens at $1 and 2.5 M output at $5 per million; batch at half.
    assert (plan.on_demand_usd, plan.batch_usd) == (22.5, 11.25)
    assert not plan.batch_can_meet_deadline and "24 h" in plan.batch_note


def test_the_text_answer_is_a_short_table_with_the_quota_check():
    code, out, _ = run_cli(
        "plan", "--documents", "10000", "--seconds-per-document", "8", "--deadline-minutes", "60"
    )
    assert code == 0
    assert "22.22 h" in out and "45.92 min" in out and "meets the deadline" in out
    assert "30 model calls = 3 invocations × 10 records" in out
    assert (
        "Global cross-region model inference tokens per minute for Anthropic Claude Haiku 4.5: "
        "need 506,250, quota 5,000,000" in out
    )
    assert "consumer_maximum_concurrency" in out and "DOES NOT FIT" not in out


def test_the_json_answer_has_the_spec_keys():
    answer = plan_json("--documents", "10000", "--seconds-per-document", "8", "--deadline-minutes", "60")
    assert set(SPEC_KEYS) <= set(answer) and "tfvars" in answer
    assert answer["sequential_hours"] == 22.22 and answer["in_flight"] == 30
    assert answer["makespan_minutes"] == 45.92 and answer["requests_per_minute"] == 225.0
    assert answer["fits_quotas"] is True
    assert answer["cost"]["on_demand_usd"] == 22.5 and answer["cost"]["batch_usd"] == 11.25
    assert answer["tokens_per_minute"] == 506_250
    assert answer["sizing"]["consumer_timeout"] == 60
    assert answer["sizing"]["visibility_timeout_seconds"] == 365
    assert answer["batch"]["can_meet_deadline"] is False
    assert all(q["source"] for q in answer["quotas"])
    assert answer["tfvars"] == {
        "model_id": HAIKU_GLOBAL,
        "consumer_maximum_concurrency": 3,
        "consumer_max_concurrent_records": 10,
        "consumer_batch_size": 10,
        "consumer_maximum_batching_window_in_seconds": 5,
        "consumer_bedrock_read_timeout_seconds": 24,
        "consumer_timeout": 60,
        "queue_visibility_timeout_seconds": 365,
    }


def test_model_time_can_come_from_tokens_and_throughput():
    # 400 output tokens at 50 tokens/s: 8 s a document, the same workload as above.
    answer = plan_json(
        "--documents",
        "10000",
        "--output-tokens",
        "400",
        "--output-tokens-per-second",
        "50",
        "--deadline-minutes",
        "60",
    )
    assert answer["inputs"]["seconds_per_document"] == 8.0
    assert answer["sequential_hours"] == 22.22 and answer["in_flight"] == 30
    # 225 requests × (1,000 + 5 × 400) quota tokens.
    assert answer["tokens_per_minute"] == 225 * 3_000


# -- quotas ----------------------------------------------------------------------------------------


def test_a_plan_over_the_quotas_says_what_to_raise_and_to_what(tmp_path):
    quotas = write_json(
        tmp_path / "quotas.json",
        {"models": {HAIKU_GLOBAL: {"tokens_per_minute": 100_000}}, "lambda_concurrent_executions": 4},
    )
    answer = plan_json(
        "--documents",
        "10000",
        "--seconds-per-document",
        "8",
        "--deadline-minutes",
        "60",
        "--quotas",
        str(quotas),
    )
    assert answer["fits_quotas"] is False
    raise_ = {r["quota"]: r for r in answer["to_raise"]}
    tokens = raise_["Global cross-region model inference tokens per minute for Anthropic Claude Haiku 4.5"]
    assert (tokens["current"], tokens["needed"]) == (100_000, 506_250)
    # 3 consumer invocations + 2 for the DLQ archiver.
    lambda_quota = raise_["Concurrent executions (AWS Lambda, per Region)"]
    assert (lambda_quota["current"], lambda_quota["needed"]) == (4, 5)
    assert len(raise_) == 2
    code, out, _ = run_cli(
        "plan",
        "--documents",
        "10000",
        "--seconds-per-document",
        "8",
        "--deadline-minutes",
        "60",
        "--quotas",
        str(quotas),
    )
    assert code == 0 and "DOES NOT FIT: raise Global cross-region model inference tokens per minute" in out


def test_each_inference_scope_and_region_has_its_own_quota(tmp_path):
    quotas = write_json(
        tmp_path / "quotas.json",
        {
            "models": {
                "us.anthropic.claude-haiku-4-5-20251001-v1:0": {"tokens_per_minute": 400_000},
                "anthropic.claude-haiku-4-5-20251001-v1:0": {
                    "tokens_per_minute": 50_000,
                    "region": "eu-west-1",
                },
            }
        },
    )
    common = ("--documents", "10000", "--seconds-per-document", "8", "--deadline-minutes", "60")
    cross = plan_json(
        *common, "--model-id", "us.anthropic.claude-haiku-4-5-20251001-v1:0", "--quotas", str(quotas)
    )
    assert cross["inputs"]["quota_scope"] == "cross_region"
    assert cross["quotas"][0]["name"].startswith("Cross-region model inference tokens per minute")
    assert cross["fits_quotas"] is False and cross["to_raise"][0]["current"] == 400_000
    # The on-demand override is for eu-west-1 only: elsewhere the table's default applies.
    base = "anthropic.claude-haiku-4-5-20251001-v1:0"
    code, out, err = run_cli(
        "--region", "eu-west-1", "plan", *common, "--model-id", base, "--quotas", str(quotas), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["quotas"][0]["quota"] == 50_000
    assert plan_json(*common, "--model-id", base, "--quotas", str(quotas))["quotas"][0]["quota"] == 200_000


def test_every_priced_model_has_a_quota_for_every_scope():
    from bedrock_jobs_cli.pricing import DEFAULT_PRICES

    table = load_quotas()
    for model_id in DEFAULT_PRICES:
        for prefix in ("", "us.", "global."):
            quota = table.for_model(prefix + model_id, "us-east-1")
            assert quota.tokens_per_minute > 0 and quota.source


def test_a_broken_quota_file_is_refused(tmp_path):
    bad = write_json(tmp_path / "quotas.json", {"models": {HAIKU_GLOBAL: {"tokens_per_minute": -1}}})
    with pytest.raises(QuotaError, match="tokens_per_minute"):
        load_quotas(bad)
    code, _, err = run_cli(
        "plan",
        "--documents",
        "10",
        "--seconds-per-document",
        "8",
        "--deadline-minutes",
        "60",
        "--quotas",
        str(bad),
    )
    assert code == 1 and "tokens_per_minute" in err


# -- batch mode ------------------------------------------------------------------------------------


def test_batch_mode_is_offered_only_for_deadlines_of_a_day_or_more():
    day = make_plan(
        documents=120_000, seconds_per_document=8, deadline_minutes=48 * 60, model_id=HAIKU_GLOBAL
    )
    assert day.batch_can_meet_deadline and day.batch_jobs_needed == 3  # 50,000 records per job at most
    assert day.batch_usd == pytest.approx(day.on_demand_usd / 2, abs=0.01)
    hour = make_plan(documents=120_000, seconds_per_document=8, deadline_minutes=60, model_id=HAIKU_GLOBAL)
    assert not hour.batch_can_meet_deadline


# -- tfvars ----------------------------------------------------------------------------------------


def _assert_module_accepts(tfvars: dict) -> None:
    """The module's own validation rules (variables.tf) for the variables the plan writes."""
    d = module_defaults()
    assert 2 <= tfvars["consumer_maximum_concurrency"] <= 1000
    assert 1 <= tfvars["consumer_max_concurrent_records"] <= 100
    assert 1 <= tfvars["consumer_batch_size"] <= 10_000
    window = tfvars["consumer_maximum_batching_window_in_seconds"]
    assert 0 <= window <= 300
    assert tfvars["consumer_batch_size"] <= 10 or window >= 1
    read = tfvars["consumer_bedrock_read_timeout_seconds"]
    assert 0 < read <= 840
    timeout = tfvars["consumer_timeout"]
    attempts = d["consumer_bedrock_max_attempts"]
    worst = (
        attempts * (d["consumer_bedrock_connect_timeout_seconds"] + read)
        + sum(min(20, 2**n) for n in range(1, attempts))
        + 3
    )
    assert 10 <= timeout <= 900 and timeout == int(timeout) and timeout >= worst
    visibility = tfvars["queue_visibility_timeout_seconds"]
    assert 6 * timeout + window <= visibility <= 43_200


@pytest.mark.parametrize(
    ("documents", "seconds", "deadline"),
    [(10_000, 8, 60), (200, 8, 10), (1, 0.5, 1), (500_000, 30, 120), (50, 120, 30), (100_000, 2, 15)],
)
def test_recommended_tfvars_pass_the_module_validation(documents, seconds, deadline):
    plan = make_plan(
        documents=documents, seconds_per_document=seconds, deadline_minutes=deadline, model_id=HAIKU_GLOBAL
    )
    _assert_module_accepts(plan.tfvars)
    assert plan.in_flight == plan.consumer_maximum_concurrency * plan.records_per_invocation
    assert plan.waves == math.ceil(documents / plan.in_flight)


def test_tfvars_are_written_as_json_or_hcl(tmp_path):
    as_json, as_hcl = tmp_path / "plan.auto.tfvars.json", tmp_path / "plan.tfvars"
    common = ("--documents", "10000", "--seconds-per-document", "8", "--deadline-minutes", "60")
    answer = plan_json(*common, "--tfvars", str(as_json))
    assert run_cli("plan", *common, "--tfvars", str(as_hcl))[0] == 0
    assert json.loads(as_json.read_text()) == answer["tfvars"]
    parsed = hcl2.loads(as_hcl.read_text())
    # python-hcl2 and checkov's fork differ: one wraps every value in a list, and quotes may stay.
    values = {k: (v[0] if isinstance(v, list) else v) for k, v in parsed.items() if not k.startswith("__")}
    values = {k: v.strip('"') if isinstance(v, str) else v for k, v in values.items()}
    assert values == answer["tfvars"]
    _assert_module_accepts(values)


def test_fallback_module_defaults_match_variables_tf():
    declared = load_module_defaults()
    assert {name: getattr(declared, name) for name in FALLBACK_MODULE_DEFAULTS} == FALLBACK_MODULE_DEFAULTS
    assert module_defaults()["model_id"] == declared.model_id


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("--documents", "0", "--seconds-per-document", "8", "--deadline-minutes", "60"),
        ("--documents", "ten", "--seconds-per-document", "8", "--deadline-minutes", "60"),
        ("--documents", "10", "--seconds-per-document", "-1", "--deadline-minutes", "60"),
        ("--documents", "10", "--seconds-per-document", "nan", "--deadline-minutes", "60"),
        ("--documents", "10", "--seconds-per-document", "8"),
        ("--documents", "10", "--deadline-minutes", "60"),
        (
            "--documents",
            "10",
            "--seconds-per-document",
            "8",
            "--output-tokens-per-second",
            "50",
            "--deadline-minutes",
            "60",
        ),
        ("--documents", "10", "--seconds-per-document", "8", "--deadline-minutes", "0"),
        (
            "--documents",
            "10",
            "--seconds-per-document",
            "8",
            "--deadline-minutes",
            "60",
            "--input-tokens",
            "-5",
        ),
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli_main.main(["plan", *argv])
    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_an_unknown_model_fails_with_exit_1_and_says_how_to_add_it():
    code, out, err = run_cli(
        "plan",
        "--documents",
        "10",
        "--seconds-per-document",
        "8",
        "--deadline-minutes",
        "60",
        "--model-id",
        "acme.unknown-model-v1:0",
    )
    assert (code, out) == (1, "")
    assert "acme.unknown-model-v1:0" in err and "--quotas FILE" in err


def test_a_model_with_a_quota_but_no_price_says_how_to_add_the_price(tmp_path):
    quotas = write_json(tmp_path / "q.json", {"models": {"acme.new-v1:0": {"tokens_per_minute": 1_000_000}}})
    code, _, err = run_cli(
        "plan",
        "--documents",
        "10",
        "--seconds-per-document",
        "8",
        "--deadline-minutes",
        "60",
        "--model-id",
        "acme.new-v1:0",
        "--quotas",
        str(quotas),
    )
    assert code == 1 and "no price for 'acme.new-v1:0'" in err and "--prices FILE" in err
    prices = write_json(
        tmp_path / "p.json", {"acme.new-v1:0": {"input_per_million": 1, "output_per_million": 2}}
    )
    answer = plan_json(
        "--documents",
        "1000",
        "--seconds-per-document",
        "8",
        "--deadline-minutes",
        "60",
        "--model-id",
        "acme.new-v1:0",
        "--quotas",
        str(quotas),
        "--prices",
        str(prices),
    )
    assert answer["cost"] == {**answer["cost"], "on_demand_usd": 1.5, "batch_usd": None}
