"""Job store state machine (issue 9): claim / lease / complete / release / fail, driven by concurrent
actors in random order, never yields two completions or a terminal job that changes.

``bedrock_jobs.job_store.JobStore`` against moto (whose DynamoDB writes are made atomic for the test
server, as DynamoDB's conditional writes are). Each step of a Hypothesis state machine runs a few
operations at once, on real threads released together: claims with short (expiring) or long leases,
completions, releases and failures with the current lease's token, a stale one or none, and the
producer's create / mark enqueued / delete. Some steps first pause until short leases have run out.

After every step, read back from the table and checked against the table as it was before the step:

* a job is completed at most once, and only with the token of the lease that was current when the
  step began; the stored result is that completion's result;
* a complete job never changes (status, result, completion time), so it never becomes ``failed``;
* a failed job stays failed, and a job under a live lease is failed only by its holder;
* a live lease excludes every other claim: no claim succeeds on a job whose lease had not run out,
  unless the holder gave the job back in the same step;
* ``attempts`` is never negative, and a ``processing`` job always has a lease and a token.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import hypothesis
from bedrock_jobs.job_store import ClaimOutcome, JobStore
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import AwsResources
from tests.properties.support import examples

JOBS = 2
SHORT_LEASE = 0.1  # seconds; runs out when a step pauses first
LONG_LEASE = 60.0  # never runs out during a test
# A lease counts as live for the checks only if it has this much time left when a step starts, so a
# lease running out during the step (a slow moto on a busy machine) is never mistaken for a violation.
LIVE_MARGIN = 5.0


@dataclass(frozen=True)
class Op:
    kind: str
    job: int
    token: int | None = None  # index into the job's tokens seen so far (-1: the latest); None: no token
    lease: float = LONG_LEASE
    model_called: bool = True


@dataclass
class Outcome:
    op: Op
    token: str | None  # the token used, or the one a successful claim got
    ok: bool
    result: str | None = None
    claim_outcome: ClaimOutcome | None = None


job_index = st.integers(0, JOBS - 1)
token_choice = st.one_of(st.none(), st.integers(-3, 3))
ops = st.one_of(
    st.builds(Op, st.just("claim"), job_index, lease=st.sampled_from([SHORT_LEASE, LONG_LEASE])),
    st.builds(Op, st.just("complete"), job_index, token_choice),
    st.builds(Op, st.just("release"), job_index, token_choice, model_called=st.booleans()),
    st.builds(Op, st.just("mark_failed"), job_index, token_choice),
    st.builds(Op, st.just("fail_unless_busy"), job_index),
    st.builds(Op, st.just("create_pending"), job_index),
    st.builds(Op, st.just("mark_enqueued"), job_index),
    st.builds(Op, st.just("delete_pending"), job_index),
)


class JobStoreMachine(RuleBasedStateMachine):
    store: ClassVar[JobStore]  # set by the test: one store (and DynamoDB client) shared by every thread

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]  # fresh job ids per example: no table reset needed between examples
        self.job_ids = [f"prop-{run}-{i}" for i in range(JOBS)]
        self.tokens: dict[str, list[str]] = {job_id: [] for job_id in self.job_ids}
        self.completions: dict[str, list[Outcome]] = {job_id: [] for job_id in self.job_ids}
        self.table = self.read_table()

    def read_table(self) -> dict[str, dict[str, Any] | None]:
        return {job_id: self.store.get(job_id) for job_id in self.job_ids}

    # -- rules ---------------------------------------------------------------------------------------
    @rule(step=st.lists(ops, min_size=1, max_size=4), pause=st.sampled_from([False, False, False, True]))
    def run_concurrently(self, step: list[Op], pause: bool) -> None:
        if pause:
            time.sleep(SHORT_LEASE + 0.05)  # short leases run out
        before = self.table
        started = time.time()
        tokens = {job_id: list(seen) for job_id, seen in self.tokens.items()}
        gate = threading.Barrier(len(step))
        with ThreadPoolExecutor(max_workers=len(step)) as pool:
            outcomes = list(pool.map(lambda op: self.perform(op, tokens, gate), step))
        for outcome in outcomes:
            if outcome.op.kind == "claim" and outcome.ok:
                self.tokens[self.job_ids[outcome.op.job]].append(outcome.token or "")
            hypothesis.event(f"{outcome.op.kind}: {'done' if outcome.ok else 'refused'}")
        self.table = self.read_table()
        self.check_step(before, started, outcomes)

    def perform(self, op: Op, tokens: dict[str, list[str]], gate: threading.Barrier) -> Outcome:
        job_id = self.job_ids[op.job]
        token = self.pick_token(tokens[job_id], op.token)
        store = self.store
        actions: dict[str, Callable[[], Any]] = {
            "claim": lambda: store.claim(job_id, op.lease, defaults={"task": "summarize"}),
            "complete": lambda: store.complete(job_id, token or "no-token", {"result": result}),
            "release": lambda: store.release(
                job_id, token or "no-token", "retry", model_called=op.model_called
            ),
            "mark_failed": lambda: store.mark_failed(job_id, "failed by a test actor", claim_token=token),
            "fail_unless_busy": lambda: store.fail_unless_busy(job_id, "failed by the archiver") is None,
            "create_pending": lambda: store.create_pending({"job_id": job_id, "task": "summarize"}),
            "mark_enqueued": lambda: store.mark_enqueued(job_id),
            "delete_pending": lambda: store.delete_pending(job_id),
        }
        result = f"result-{uuid.uuid4().hex[:8]}"
        gate.wait()
        answer = actions[op.kind]()
        if op.kind == "claim":
            claimed = answer.outcome is ClaimOutcome.CLAIMED
            return Outcome(op, answer.token, claimed, claim_outcome=answer.outcome)
        return Outcome(op, token, bool(answer), result=result if op.kind == "complete" else None)

    @staticmethod
    def pick_token(seen: list[str], choice: int | None) -> str | None:
        if choice is None:
            return None
        if not seen or choice >= len(seen) or choice < -len(seen):
            return f"never-issued-{choice}"
        return seen[choice]

    # -- checks --------------------------------------------------------------------------------------
    def check_step(
        self, before: dict[str, dict[str, Any] | None], started: float, outcomes: list[Outcome]
    ) -> None:
        for i, job_id in enumerate(self.job_ids):
            old, new = before[job_id], self.table[job_id]
            mine = [o for o in outcomes if o.op.job == i]
            done = {
                kind: [o for o in mine if o.op.kind == kind and o.ok]
                for kind in ("claim", "complete", "release", "mark_failed")
            }
            holder = old.get("claim_token") if old and old.get("status") == "processing" else None
            live = bool(holder) and float(old.get("lease_expires_at", 0)) > started + LIVE_MARGIN

            for completion in done["complete"]:
                assert holder is not None and completion.token == holder, (
                    f"{job_id} completed with token {completion.token!r}; the lease holder was {holder!r}"
                )
                self.completions[job_id].append(completion)
            assert len(self.completions[job_id]) <= 1, f"{job_id} completed twice: {self.completions[job_id]}"
            if done["complete"]:
                assert new is not None and new["status"] == "complete"
                assert new["result"] == done["complete"][0].result, "the stored result is the completion's"

            for release in done["release"]:
                assert release.token == holder, f"{job_id} released with {release.token!r}, holder {holder!r}"

            holder_let_go = any(o.token == holder for o in done["release"] + done["mark_failed"])
            if live and not holder_let_go:
                assert not done["claim"], f"{job_id} claimed under a live lease held by {holder!r}"
                if new is not None and new["status"] == "failed":
                    raise AssertionError(f"{job_id} under a live lease was failed by someone else: {new}")

            if old is not None and old["status"] == "complete":
                assert new is not None, f"complete job {job_id} was deleted"
                for name in ("status", "result", "completed_at"):
                    assert new.get(name) == old.get(name), (
                        f"complete job {job_id} changed {name}: {old} → {new}"
                    )
            if old is not None and old["status"] == "failed":
                assert new is not None and new["status"] == "failed", f"failed job {job_id} changed: {new}"
            if old is not None and new is None:
                # Only a pending job is deleted; in one step a release may first make it pending.
                assert old["status"] == "pending" or done["release"], (
                    f"a {old['status']} job {job_id} was deleted"
                )
            if len(done["claim"]) > 1:
                # Two claims in one step: only possible if the job was given back in between, or the
                # first lease was a short one that ran out.
                assert (
                    done["release"]
                    or done["mark_failed"]
                    or any(o.op.lease == SHORT_LEASE for o in done["claim"])
                ), f"{job_id} claimed twice at once: {done['claim']}"

    @invariant()
    def records_are_consistent(self) -> None:
        for job_id, job in self.table.items():
            if job is None:
                continue
            assert job.get("status") in ("pending", "processing", "complete", "failed"), job
            assert int(job.get("attempts", 0)) >= 0, f"{job_id} has negative attempts: {job}"
            if job["status"] == "processing":
                assert job.get("claim_token") and job.get("lease_expires_at") is not None, job
            if job["status"] == "complete":
                assert "claim_token" not in job and "lease_expires_at" not in job, job


def test_job_store_transitions_under_concurrent_actors(aws_env: AwsResources) -> None:
    JobStoreMachine.store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    run_state_machine_as_test(
        JobStoreMachine, settings=hypothesis.settings(examples(25), stateful_step_count=10)
    )
