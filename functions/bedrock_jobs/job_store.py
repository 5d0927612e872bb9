"""The jobs table: job records, their states, and the lease that makes the model call happen once.

States: ``pending`` → ``processing`` → ``complete`` | ``failed``. A consumer *claims* a job with one
conditional write that succeeds only if the job is new, ``pending``, or ``processing`` with an expired
lease. The lease outlives the invocation that took it, so a concurrent duplicate delivery finds the
job leased and backs off, and a job left ``processing`` by a crashed invocation becomes claimable once
the lease runs out. ``complete`` and ``failed`` are terminal for the consumer.

Why not Powertools' idempotency utility: its record lives beside the job, so a job's status and its
guard would be two items written separately; here the job record *is* the guard, one write per step,
and the state a client reads through ``GET /jobs/{id}`` is exactly the state that decides a retry.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from bedrock_jobs import aws_clients

PENDING, PROCESSING, COMPLETE, FAILED = "pending", "processing", "complete", "failed"
#: The jobs table's sparse index of failed jobs (storage.tf): hash key ``failed_day`` (YYYY-MM-DD of
#: ``failed_at``), range key ``failed_at``.
FAILED_INDEX, FAILED_DAY = "failed-by-day", "failed_day"
TERMINAL = frozenset({COMPLETE, FAILED})

# Bookkeeping that GET /jobs/{id} does not show: leases, idempotency and ownership, where the payloads
# live, and raw retry errors (a job being retried shows ``retrying: true`` instead; see public_view).
INTERNAL_ATTRIBUTES = frozenset(
    {
        "claim_token",
        "written_by_claim",
        "lease_expires_at",
        "request_sha256",
        "expires_at",
        "idempotency_key",
        "owner",
        "document_uri",
        "archive_uri",
        "enqueued_at",
        "last_error",
        "model_attempts",
        # Batch mode bookkeeping: the submission a job was tagged with, the collector run that stored it,
        # and the record of a fallback to the realtime queue (``batch_job_arn`` stays visible: SPEC).
        "batch_submission",
        "collected_by",
        "batch_fallback_from",
        "batch_fallback_sent_at",
        FAILED_DAY,
    }
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _serialize(value: Any) -> dict[str, Any]:
    """DynamoDB attribute value; floats (from JSON metadata) become Decimals, which boto3 requires."""

    def decimals(v: Any) -> Any:
        if isinstance(v, float):
            return Decimal(str(v))
        if isinstance(v, dict):
            return {k: decimals(x) for k, x in v.items()}
        if isinstance(v, list):
            return [decimals(x) for x in v]
        return v

    return _serializer.serialize(decimals(value))


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serialize(v) for k, v in values.items() if v is not None}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | set):
            return [plain(v) for v in value]
        return value

    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class ClaimOutcome(Enum):
    CLAIMED = "claimed"
    ALREADY_COMPLETE = "already_complete"
    ALREADY_FAILED = "already_failed"
    IN_PROGRESS = "in_progress"


def lease_seconds_left(job: dict[str, Any]) -> float | None:
    """Seconds until a ``processing`` job's lease runs out; ``None`` when no live lease holds it."""
    lease = job.get("lease_expires_at")
    if job.get("status") != PROCESSING or not isinstance(lease, int | float):
        return None
    left = float(lease) - time.time()
    return left if left > 0 else None


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    job: dict[str, Any]
    token: str | None = None


class JobStore:
    def __init__(self, table_name: str, ttl_days: int = 0, dynamodb: Any | None = None) -> None:
        self.table_name = table_name
        self.ttl_days = ttl_days
        self._dynamodb = dynamodb

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws_clients.client("dynamodb")

    def _expires_at(self) -> int | None:
        return int(time.time()) + self.ttl_days * 86_400 if self.ttl_days else None

    # -- producer side ---------------------------------------------------------------------------
    def create_pending(self, job: dict[str, Any]) -> bool:
        """Write a new ``pending`` job; ``False`` if a job with that id already exists (never overwritten)."""
        now = utc_now()
        record = {
            "status": PENDING,
            "created_at": now,
            "updated_at": now,
            "expires_at": self._expires_at(),
            **job,
        }
        try:
            self.dynamodb.put_item(
                TableName=self.table_name,
                Item=_to_item(record),
                ConditionExpression="attribute_not_exists(job_id)",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def delete_pending(self, job_id: str) -> bool:
        """Undo ``create_pending`` when SQS definitely did not take the job's message.

        Only a job that is still ``pending`` and was never confirmed on the queue (no ``enqueued_at``)
        is deleted: a job already picked up, or sent by a concurrent retry, is left alone (``False``).
        """
        try:
            self.dynamodb.delete_item(
                TableName=self.table_name,
                Key={"job_id": {"S": job_id}},
                ConditionExpression="#s = :pending AND attribute_not_exists(enqueued_at)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":pending": {"S": PENDING}},
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return False
        return True

    def mark_enqueued(self, job_id: str) -> bool:
        """Record that SQS confirmed the job's message, so a retried submission does not send it again.

        A job without ``enqueued_at`` may never have reached the queue (the producer failed or timed out
        between writing it and sending), and a retry with its idempotency key sends the message again.
        ``False`` if the job no longer exists.
        """
        now = utc_now()
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET enqueued_at = :now",
                ConditionExpression="attribute_exists(job_id)",
                ExpressionAttributeValues={":now": {"S": now}},
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get(self, job_id: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.table_name, Key={"job_id": {"S": job_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _from_item(item) if item else None

    # -- consumer side ---------------------------------------------------------------------------
    def claim(
        self,
        job_id: str,
        lease_seconds: float,
        defaults: dict[str, Any],
        *,
        record_expected: bool = False,
    ) -> Claim:
        """Take the job's lease, creating the record on first sight (messages sent without the producer).

        ``record_expected`` (the producer wrote the record, or this is a redelivery) tries a claim that
        only takes the lease first: a third of the write, since the record already has its ``defaults``.
        When the record turns out not to exist, the full claim follows, so the hint is never wrong, only
        slower.
        """
        if record_expected:
            claim = self._claim(job_id, lease_seconds, None)
            if claim is not None:
                return claim
        claim = self._claim(job_id, lease_seconds, defaults)
        assert claim is not None  # a claim that may create the record always has an outcome
        return claim

    def _claim(self, job_id: str, lease_seconds: float, defaults: dict[str, Any] | None) -> Claim | None:
        """One conditional claim write; ``None`` when ``defaults`` is ``None`` and the job does not exist."""
        now_epoch = time.time()
        now = utc_now()
        token = uuid.uuid4().hex
        update = _Update()
        update.set("status", PROCESSING)
        update.set("lease_expires_at", Decimal(str(round(now_epoch + lease_seconds, 3))))
        update.set("claim_token", token)
        update.set("started_at", now)
        update.set("updated_at", now)
        update.sets.append(f"attempts = if_not_exists(attempts, {update.value(0)}) + {update.value(1)}")
        claimable = (
            f"#status = {update.value(PENDING)} OR "
            f"(#status = {update.value(PROCESSING)} AND lease_expires_at < "
            f"{update.value(Decimal(str(round(now_epoch, 3))))})"
        )
        if defaults is None:
            condition = f"attribute_exists(job_id) AND ({claimable})"
        else:
            self._first_seen(update, now)
            for name, value in sorted(defaults.items()):
                if value is not None and value not in ({}, []):
                    update.set_if_absent(name, value)
            condition = f"attribute_not_exists(job_id) OR {claimable}"
        try:
            response = self._update(
                job_id,
                update,
                condition,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except (ClientError, BotoCoreError) as exc:
            if not (isinstance(exc, ClientError) and _conditional_failed(exc)):
                self._give_back_unconfirmed_claim(job_id, token)
                raise
            old = exc.response.get("Item")
            if not old and defaults is None:
                return None
            job = _from_item(old) if old else (self.get(job_id) or {})
            if job.get("status") == PROCESSING and job.get("claim_token") == token:
                # Our own claim: the write landed, its answer was lost (a 5xx or timeout after it was
                # applied), and botocore's retry of the same request found the lease it had just taken.
                return Claim(ClaimOutcome.CLAIMED, job, token)
            status = job.get("status")
            outcome = {COMPLETE: ClaimOutcome.ALREADY_COMPLETE, FAILED: ClaimOutcome.ALREADY_FAILED}.get(
                status, ClaimOutcome.IN_PROGRESS
            )
            return Claim(outcome, job)
        return Claim(ClaimOutcome.CLAIMED, _from_item(response["Attributes"]), token)

    def _give_back_unconfirmed_claim(self, job_id: str, token: str) -> None:
        """The claim failed, but it may have landed (a 5xx or timeout after DynamoDB applied it): give
        back the lease it may hold, so the job's next delivery can claim it instead of waiting out a
        lease nobody uses. A no-op when the claim did not land (the token is not on the job)."""
        with contextlib.suppress(ClientError, BotoCoreError):  # then the lease simply runs out
            self.release(job_id, token, "claim unconfirmed", model_called=False)

    def _update_owned(
        self,
        job_id: str,
        token: str,
        fields: dict[str, Any],
        removes: list[str],
        *,
        uncount_attempt: bool = False,
        count_model_attempt: bool = False,
    ) -> bool:
        update = _Update(removes=removes)
        for name, value in fields.items():
            update.set(name, value)
        update.set("written_by_claim", token)
        if uncount_attempt:
            update.sets.append(f"attempts = attempts - {update.value(1)}")
        if count_model_attempt:
            update.sets.append(
                f"model_attempts = if_not_exists(model_attempts, {update.value(0)}) + {update.value(1)}"
            )
        condition = f"claim_token = {update.value(token)} AND #status = {update.value(PROCESSING)}"
        # A failed condition means either our lease ran out and someone else owns the job now, or this
        # very write landed and its answer was lost (a 5xx or timeout after it was applied), so
        # botocore's retry found it done.
        written, _ = self._conditional_write(
            job_id,
            update,
            condition,
            landed=lambda old: (
                old.get("written_by_claim") == token and all(old.get(k) == v for k, v in fields.items())
            ),
        )
        return written

    def complete(self, job_id: str, token: str, fields: dict[str, Any]) -> bool:
        now = utc_now()
        values = {k: v for k, v in fields.items() if v is not None}
        values.update({"status": COMPLETE, "completed_at": now, "updated_at": now})
        return self._update_owned(job_id, token, values, ["lease_expires_at", "claim_token", "last_error"])

    def release(self, job_id: str, token: str, error: str, *, model_called: bool = True) -> bool:
        """Give the lease back after a retryable failure so the next delivery can claim at once.

        ``attempts`` counts claims that may have reached the model; a claim given back before the model
        was called (no time left) is taken off again. ``model_attempts`` counts the invocations known to
        have called it: only those, not crashed holders, tell the DLQ archiver the model was tried.
        """
        fields = {"status": PENDING, "last_error": error, "updated_at": utc_now()}
        return self._update_owned(
            job_id,
            token,
            fields,
            ["lease_expires_at", "claim_token"],
            uncount_attempt=not model_called,
            count_model_attempt=model_called,
        )

    def mark_failed(
        self,
        job_id: str,
        error: str,
        extra: dict[str, Any] | None = None,
        *,
        claim_token: str | None = None,
    ) -> bool:
        """Fail a job (creating it if unknown); ``False`` if it is ``complete`` or leased by someone else.

        See ``fail_unless_busy``; the invocation holding the job's lease passes its ``claim_token``.
        """
        return self.fail_unless_busy(job_id, error, extra, claim_token=claim_token) is None

    def fail_unless_busy(
        self,
        job_id: str,
        error: str,
        extra: dict[str, Any] | None = None,
        *,
        claim_token: str | None = None,
    ) -> dict[str, Any] | None:
        """Fail a job in one conditional write; ``None`` when done, else the job as it stands.

        Refused, atomically: a ``complete`` job (it keeps its result) and a ``processing`` job whose lease
        has not run out, unless ``claim_token`` is that lease's (the holder failing its own job). A
        lease-holder that is still working will store its outcome itself; a crashed one's lease expires,
        and then the job can be failed. The returned job says which case it was (``status``,
        ``lease_expires_at``).
        """
        now_epoch = time.time()
        now = utc_now()
        update = _Update(removes=["lease_expires_at", "claim_token"])
        fields = {
            "status": FAILED,
            "error": error[:1000],
            "failed_at": now,
            # The key of the sparse index of failed jobs (FAILED_INDEX): only failed jobs carry it.
            FAILED_DAY: now[:10],
            "updated_at": now,
            **(extra or {}),
        }
        for name, value in fields.items():
            if value is not None:
                update.set(name, value)
        self._first_seen(update, now)
        lease_over = (
            f"attribute_not_exists(lease_expires_at) OR "
            f"lease_expires_at < {update.value(Decimal(str(round(now_epoch, 3))))}"
        )
        if claim_token:
            lease_over += f" OR claim_token = {update.value(claim_token)}"
        condition = (
            f"attribute_not_exists(job_id) OR (#status <> {update.value(COMPLETE)} AND "
            f"(#status <> {update.value(PROCESSING)} OR {lease_over}))"
        )
        try:
            self._update(job_id, update, condition, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            old = exc.response.get("Item")
            return _from_item(old) if old else (self.get(job_id) or {})
        return None

    def reopen_failed(self, job_id: str, reason: str) -> bool:
        """Put a ``failed`` job back to ``pending`` for a replay (``bedrock-jobs archive replay``); ``False``
        unless it is failed now. It leaves the index of failures; its last error is kept as
        ``replayed_error`` and ``replays`` counts the replays."""
        now = utc_now()
        update = _Update()
        cleared = ("error", "failed_at", FAILED_DAY, "lease_expires_at", "claim_token")
        update.removes.extend(update.name(attribute) for attribute in cleared)
        update.set("status", PENDING)
        update.set("replay_reason", reason[:1000])
        update.set("replayed_at", now)
        update.set("updated_at", now)
        update.sets.append(f"{update.name('replayed_error')} = {update.name('error')}")
        replays = update.name("replays")
        update.sets.append(f"{replays} = if_not_exists({replays}, {update.value(0)}) + {update.value(1)}")
        written, _ = self._conditional_write(job_id, update, f"#status = {update.value(FAILED)}")
        return written

    # -- shared ----------------------------------------------------------------------------------
    def _conditional_write(
        self, job_id: str, update: _Update, condition: str, landed: Any = None
    ) -> tuple[bool, dict[str, Any]]:
        """One conditional UpdateItem: (written, the job as it stood when the condition failed, or
        ``{}``). ``landed(old)`` tells a failed condition that only this write itself, already applied
        and retried, can explain (written) from a refusal."""
        if "#status" not in update.expression() and "#status" not in condition:
            update.names.pop("#status", None)  # DynamoDB refuses unused placeholders
        try:
            self._update(job_id, update, condition, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            old = _from_item(exc.response.get("Item") or {})
            return (bool(landed(old)) if landed else False), old
        return True, {}

    def _first_seen(self, update: _Update, now: str) -> None:
        """Attributes a record gets when this write is the one that creates it."""
        update.set_if_absent("created_at", now)
        expires_at = self._expires_at()
        if expires_at:
            update.set_if_absent("expires_at", expires_at)

    def _update(self, job_id: str, update: _Update, condition: str, **options: Any) -> dict[str, Any]:
        return self.dynamodb.update_item(
            TableName=self.table_name,
            Key={"job_id": {"S": job_id}},
            UpdateExpression=update.expression(),
            ConditionExpression=condition,
            ExpressionAttributeNames=update.names,
            ExpressionAttributeValues={k: _serialize(v) for k, v in update.values.items()},
            **options,
        )

    # -- batch mode (SPEC "Batch mode"; bedrock_jobs.batch_submitter / batch_collector) -----------
    # Every batch write is conditional on the batch bookkeeping it expects, and treats a condition that
    # fails because this very write already landed (a 5xx or timeout after it was applied, retried by
    # botocore) as success, as ``_update_owned`` does.
    def tag_for_batch(self, job_id: str, token: str, defaults: dict[str, Any]) -> bool:
        """Reserve a waiting job for batch submission ``token``; ``False`` if it is not free to take.

        Creates the record for a message sent without the producer (scheduler, EventBridge), with the
        same defaults a consumer claim would write.
        """
        now = utc_now()
        update = _Update()
        update.set("batch_submission", token)
        update.set("mode", "batch")
        update.set("updated_at", now)
        update.set_if_absent("status", PENDING)
        self._first_seen(update, now)
        for name, value in sorted(defaults.items()):
            if value is not None and value not in ({}, []):
                update.set_if_absent(name, value)
        mode = update.name("mode")
        # A job already sent to the realtime queue (mode "realtime") stays there.
        condition = (
            f"attribute_not_exists(job_id) OR (#status = {update.value(PENDING)} "
            "AND attribute_not_exists(batch_submission) AND attribute_not_exists(batch_job_arn) "
            f"AND (attribute_not_exists({mode}) OR {mode} = {update.value('batch')}))"
        )
        written, _ = self._conditional_write(
            job_id, update, condition, lambda old: old.get("batch_submission") == token
        )
        return written

    def untag_batch(self, job_id: str, token: str) -> bool:
        """Give a job reserved by ``token`` back (its batch job was never created)."""
        update = _Update(removes=["batch_submission"])
        update.set("updated_at", utc_now())
        condition = f"batch_submission = {update.value(token)} AND #status = {update.value(PENDING)}"
        written, _ = self._conditional_write(
            job_id, update, condition, lambda old: "batch_submission" not in old
        )
        return written

    def mark_batch_processing(self, job_id: str, token: str, batch_job_arn: str) -> bool:
        """``pending`` → ``processing`` under the batch job: no lease, so no consumer claim can take it."""
        now = utc_now()
        update = _Update()
        update.set("status", PROCESSING)
        update.set("batch_job_arn", batch_job_arn)
        update.set("started_at", now)
        update.set("updated_at", now)
        update.sets.append(f"attempts = if_not_exists(attempts, {update.value(0)}) + {update.value(1)}")
        condition = f"batch_submission = {update.value(token)} AND #status = {update.value(PENDING)}"
        written, _ = self._conditional_write(
            job_id,
            update,
            condition,
            lambda old: old.get("batch_job_arn") == batch_job_arn and old.get("batch_submission") == token,
        )
        return written

    def mark_realtime(self, job_id: str, reason: str) -> bool:
        """Record that a waiting batch job was sent to the realtime queue instead; ``False`` if the job has
        no record (a sender without the producer: the consumer's claim creates it) or is in a batch job."""
        update = _Update(removes=["batch_submission"])
        update.set("mode", "realtime")
        update.set("batch_fallback_reason", reason[:1000])
        update.set("updated_at", utc_now())
        condition = "attribute_exists(job_id) AND attribute_not_exists(batch_job_arn)"
        written, _ = self._conditional_write(job_id, update, condition)
        return written

    def complete_from_batch(
        self, job_id: str, batch_job_arn: str, run_token: str, fields: dict[str, Any]
    ) -> bool:
        """Complete a job from its batch output; only while it is ``processing`` under that batch job, so a
        job completed or failed any other way is never overwritten. ``run_token`` tells this write's
        own retried success apart from another collector run's."""
        now = utc_now()
        update = _Update(removes=["last_error"])
        values = {k: v for k, v in fields.items() if v is not None}
        values.update({"status": COMPLETE, "completed_at": now, "updated_at": now, "collected_by": run_token})
        for name, value in values.items():
            update.set(name, value)
        condition = f"#status = {update.value(PROCESSING)} AND batch_job_arn = {update.value(batch_job_arn)}"
        written, _ = self._conditional_write(
            job_id, update, condition, lambda old: old.get("collected_by") == run_token
        )
        return written

    def fall_back_from_batch(self, job_id: str, batch_job_arn: str, reason: str) -> bool:
        """A record the batch job did not answer goes back to ``pending`` for the realtime queue, once."""
        update = _Update(removes=["batch_job_arn", "batch_submission"])
        update.set("status", PENDING)
        update.set("mode", "realtime")
        update.set("batch_fallback_from", batch_job_arn)
        update.set("batch_fallback_reason", reason[:1000])
        update.set("updated_at", utc_now())
        condition = f"#status = {update.value(PROCESSING)} AND batch_job_arn = {update.value(batch_job_arn)}"
        written, _ = self._conditional_write(
            job_id,
            update,
            condition,
            lambda old: (
                old.get("status") == PENDING
                and old.get("batch_fallback_from") == batch_job_arn
                and "batch_fallback_sent_at" not in old
            ),
        )
        return written

    def mark_fallback_sent(self, job_id: str, batch_job_arn: str) -> bool:
        """The fallback message is on the realtime queue: a later collector run does not send it again."""
        update = _Update()
        update.set("batch_fallback_sent_at", utc_now())
        condition = (
            f"batch_fallback_from = {update.value(batch_job_arn)} "
            "AND attribute_not_exists(batch_fallback_sent_at)"
        )
        written, _ = self._conditional_write(
            job_id, update, condition, lambda old: "batch_fallback_sent_at" in old
        )
        return written


@dataclass
class _Update:
    """An UpdateItem expression with generated placeholders; ``#status`` is always available."""

    removes: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=lambda: {"#status": "status"})
    values: dict[str, Any] = field(default_factory=dict)

    def name(self, attribute: str) -> str:
        if attribute == "status":
            return "#status"
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> None:
        self.sets.append(f"{self.name(attribute)} = {self.value(value)}")

    def set_if_absent(self, attribute: str, value: Any) -> None:
        name = self.name(attribute)
        self.sets.append(f"{name} = if_not_exists({name}, {self.value(value)})")

    def expression(self) -> str:
        expression = "SET " + ", ".join(self.sets)
        return expression + (" REMOVE " + ", ".join(self.removes) if self.removes else "")


def public_view(job: dict[str, Any]) -> dict[str, Any]:
    """The job as its client sees it (GET /jobs/{id}): no bookkeeping, no raw internal errors.

    A failed job keeps its short ``error`` (SPEC); a job whose last attempt failed and that will be
    tried again shows ``retrying: true`` rather than the exception text of that attempt.
    """
    view = {k: v for k, v in job.items() if k not in INTERNAL_ATTRIBUTES}
    if job.get("last_error") and job.get("status") not in TERMINAL:
        view["retrying"] = True
    return view
