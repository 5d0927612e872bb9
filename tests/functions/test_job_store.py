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


DEFAULTS = {"task": "summarize", "model_id": "m-1", "labels": ["a", "b"], "correlation_id": "c-1"}


def _update_expressions(client) -> list[str]:
    """The UpdateExpression of every UpdateItem the client sends (read from the request itself)."""
    sent: list[str] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.UpdateItem",
        lambda params, **_: sent.append(params["UpdateExpression"]),
    )
    return sent


def test_a_claim_of_a_record_the_producer_wrote_only_takes_the_lease(aws_env):
    client = aws_env.client("dynamodb")
    store = JobStore(aws_env.table, ttl_days=30, dynamodb=client)
    assert store.create_pending({"job_id": "written", **DEFAULTS})
    sent = _update_expressions(client)

    claim = store.claim("written", 60, {**DEFAULTS, "task": "classify"}, record_expected=True)

    assert claim.outcome is ClaimOutcome.CLAIMED and claim.job["claim_token"] == claim.token
    assert len(sent) == 1 and "if_not_exists(#" not in sent[0]  # only attempts: no defaults
    assert sent[0].count(" = ") == 6
    job = store.get("written")
    assert (job["status"], job["attempts"], job["task"], job["labels"]) == (
        "processing",
        1,
        "summarize",  # the record's own values stand, as with the full claim
        ["a", "b"],
    )


def test_when_the_expected_record_is_missing_the_full_claim_creates_it(aws_env):
    client = aws_env.client("dynamodb")
    store = JobStore(aws_env.table, ttl_days=30, dynamodb=client)
    sent = _update_expressions(client)

    claim = store.claim("never-written", 60, DEFAULTS, record_expected=True)

    assert claim.outcome is ClaimOutcome.CLAIMED
    assert len(sent) == 2  # the lease-only claim found nothing; the full claim created the record
    job = store.get("never-written")
    assert {k: job[k] for k in DEFAULTS} == DEFAULTS
    assert job["attempts"] == 1 and job["created_at"] and job["expires_at"]


def test_the_lease_only_claim_reports_finished_and_held_jobs_like_the_full_one(aws_env):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    held = store.claim("held", 60, DEFAULTS)
    done = store.claim("done", 60, DEFAULTS)
    store.complete("done", done.token, {"result": "ok"})
    store.mark_failed("dead", "poison")
    outcomes = {
        job_id: store.claim(job_id, 60, DEFAULTS, record_expected=True).outcome
        for job_id in ("held", "done", "dead")
    }
    assert outcomes == {
        "held": ClaimOutcome.IN_PROGRESS,
        "done": ClaimOutcome.ALREADY_COMPLETE,
        "dead": ClaimOutcome.ALREADY_FAILED,
    }
    assert store.get("held")["claim_token"] == held.token
