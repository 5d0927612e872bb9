"""``make bench``, short: every benchmark runs end to end and reports its figures.

Only that the figures are measured and consistent, never how fast: machines are shared and noisy, and
the speed targets are read from ``make bench`` itself.
"""

from __future__ import annotations

import pytest

from bench import aws_calls, batch_speedup, cold_start, scaling


def test_the_batch_benchmark_measures_both_consumers_and_every_job_is_asked_once(capsys):
    # run() itself asserts one successful model call per job for every variant and round.
    results = batch_speedup.run(latency=0.05, repeats=1)
    assert set(results) == {"speedup", "bare_speedup", "direct_speedup", "cpu_per_record_ms"}
    assert all(value > 0 for value in results.values())
    out = capsys.readouterr().out
    for variant in ("consumer, concurrent", "bare boto3, concurrent", "consumer, direct, concurrent"):
        assert variant in out


def test_the_consumer_makes_three_aws_calls_and_one_model_call_per_job(capsys):
    """Claim, complete, notice: the answer is saved to S3 only when the job cannot be completed."""
    aws_calls.run()
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    lines = {
        row[0]: row[1] for row in rows if len(row) >= 2 and ":" in row[0] and not row[0].startswith("==")
    }
    assert lines == {
        "bedrock-runtime:Converse": "1.0",
        "dynamodb:UpdateItem": "2.0",
        "sns:Publish": "1.0",
    }


def test_cold_start_compares_each_handler_with_the_boto3_floor():
    ratios = cold_start.run(repeats=1)
    assert set(ratios) == {"producer", "consumer", "dlq_archiver"}
    assert all(ratio > 0 for ratio in ratios.values())


@pytest.mark.parametrize("environments", [2])
def test_scaling_runs_every_job_once_across_environments(environments):
    result = scaling._one_run(environments, jobs_per_environment=3, latency=0.05)
    assert result["throughput"] > 0 and result["elapsed"] > 0
