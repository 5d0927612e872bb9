"""The job claim under real concurrency: exactly one of many simultaneous claims wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bedrock_jobs.job_store import ClaimOutcome, JobStore


def test_exactly_one_of_many_concurrent_claims_wins(aws_env):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    for round_number in range(5):
        job_id = f"race-{round_number}"
        with ThreadPoolExecutor(max_workers=8) as pool:
            claims = list(pool.map(lambda _, j=job_id: store.claim(j, 60, {"task": "summarize"}), range(8)))
        outcomes = sorted(c.outcome.value for c in claims)
        assert outcomes.count(ClaimOutcome.CLAIMED.value) == 1, outcomes
        assert outcomes.count(ClaimOutcome.IN_PROGRESS.value) == 7
        winner = next(c for c in claims if c.outcome is ClaimOutcome.CLAIMED)
        assert store.get(job_id)["claim_token"] == winner.token


def test_complete_and_failed_are_terminal(aws_env):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    claim = store.claim("t-1", 60, {"task": "summarize"})
    assert store.complete("t-1", claim.token, {"result": "ok", "input_tokens": 3})
    assert store.claim("t-1", 60, {}).outcome is ClaimOutcome.ALREADY_COMPLETE
    assert store.mark_failed("t-1", "late failure") is False  # a complete job keeps its result
    assert store.get("t-1")["result"] == "ok"
    store.mark_failed("t-2", "poison")
    assert store.claim("t-2", 60, {}).outcome is ClaimOutcome.ALREADY_FAILED


def test_a_stale_owner_cannot_overwrite_a_new_claim(aws_env):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    stale = store.claim("t-3", -1, {"task": "summarize"})  # lease already expired
    fresh = store.claim("t-3", 60, {})
    assert fresh.outcome is ClaimOutcome.CLAIMED
    assert store.complete("t-3", stale.token, {"result": "from the stale owner"}) is False
    assert store.release("t-3", stale.token, "x") is False
    assert store.complete("t-3", fresh.token, {"result": "from the owner"})
    assert store.get("t-3")["result"] == "from the owner"


def test_pending_record_is_never_overwritten(aws_env):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    assert store.create_pending({"job_id": "p-1", "task": "summarize"})
    assert not store.create_pending({"job_id": "p-1", "task": "classify"})
    assert store.get("p-1")["task"] == "summarize"
    store.delete_pending("p-1")
    assert store.get("p-1") is None
