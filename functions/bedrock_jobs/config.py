"""Function configuration, read from the environment when a handler first runs.

Names and defaults are listed in docs/internal-contract.md; the Terraform module sets them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from bedrock_jobs.errors import ConfigurationError
from bedrock_jobs.tasks import Guardrail, TaskDefinition, load_tasks

# Time a record needs besides the model call: DynamoDB claim/complete, S3 reads/writes, SNS publish.
STORAGE_MARGIN_SECONDS = 3.0
# Largest result stored inline in the job item: DynamoDB items hold 400 KB including every attribute.
INLINE_RESULT_LIMIT_BYTES = 300_000


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigurationError(f"{name} must be ≥ {minimum}, got {value}")
    return value


def _float(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigurationError(f"{name} must be ≥ {minimum}, got {value}")
    return value


def _str(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    jobs_table: str | None
    queue_url: str | None
    payload_bucket: str | None
    archive_bucket: str | None
    alerts_topic_arn: str | None
    results_topic_arn: str | None
    model_id: str | None
    tasks: dict[str, TaskDefinition]
    default_task: str
    max_document_bytes: int
    inline_document_max_bytes: int
    inline_result_max_bytes: int
    job_lease_seconds: int
    job_ttl_days: int
    max_concurrent_records: int
    bedrock_connect_timeout_seconds: float
    bedrock_read_timeout_seconds: float
    bedrock_max_attempts: int
    retry_base_delay_seconds: int
    retry_max_delay_seconds: int
    retry_throttled_base_delay_seconds: int
    fifo_default_message_group_id: str
    allowed_model_ids: frozenset[str] = frozenset()
    # Producer: the main queue's MaximumMessageSize; messages are measured against it as SQS counts them.
    queue_max_message_bytes: int = 262_144
    # Producer: HMAC key of job ids derived from idempotency keys (per deployment; never logged).
    job_id_secret: str | None = field(default=None, repr=False)
    # DLQ archiver: how often a never-attempted job's message may be sent back to the main queue.
    archiver_max_requeues: int = 3
    # Batch mode (SPEC "Batch mode"): where batch jobs wait, and how the submitter groups them.
    default_mode: str = "realtime"
    batch_queue_url: str | None = None
    batch_role_arn: str | None = None
    batch_bucket: str | None = None  # BATCH_BUCKET, else PAYLOAD_BUCKET
    batch_min_records: int = 100
    batch_max_records: int = 50_000
    batch_max_wait_hours: float = 24.0
    batch_timeout_hours: int = 24
    batch_max_jobs_in_flight: int = 10
    # The guardrail every Converse call carries unless its task names its own or "none" (GUARDRAIL_ID,
    # GUARDRAIL_VERSION).
    guardrail: Guardrail | None = None

    def guardrail_for(self, task: TaskDefinition) -> Guardrail | None:
        return task.guardrail(self.guardrail)

    @property
    def permitted_model_ids(self) -> frozenset[str]:
        """Models a job may name (SPEC): MODEL_ID, the tasks' models and ALLOWED_MODEL_IDS."""
        task_models = {t.model_id for t in self.tasks.values() if t.model_id}
        return frozenset({m for m in (self.model_id,) if m} | task_models | self.allowed_model_ids)

    def require(self, *attributes: str) -> None:
        """Fail fast, naming the environment variables a handler needs but did not get."""
        missing = [a.upper() for a in attributes if not getattr(self, a)]
        if missing:
            raise ConfigurationError(f"missing required environment variable(s): {', '.join(missing)}")

    @property
    def attempt_budget_seconds(self) -> float:
        """Time a record needs to be worth starting: one full model attempt plus the storage calls.

        A record starts only with this much invocation time left; botocore retries it only while
        another attempt (plus its backoff) still fits (see ``model_client``).
        """
        return (
            self.bedrock_connect_timeout_seconds + self.bedrock_read_timeout_seconds + STORAGE_MARGIN_SECONDS
        )

    @property
    def record_budget_seconds(self) -> float:
        """Worst-case time of one record with every botocore attempt used.

        botocore's standard retry mode makes ``bedrock_max_attempts`` attempts, each bounded by the
        connect and read timeouts, with a jittered backoff of at most 2**attempt seconds between them.
        The module validates that the consumer timeout covers this, so the first record of an
        invocation can always use all its attempts.
        """
        attempts = self.bedrock_max_attempts
        per_attempt = self.bedrock_connect_timeout_seconds + self.bedrock_read_timeout_seconds
        backoff = sum(min(20.0, 2.0**n) for n in range(1, attempts))
        return attempts * per_attempt + backoff + STORAGE_MARGIN_SECONDS

    @property
    def queue_is_fifo(self) -> bool:
        return bool(self.queue_url and self.queue_url.endswith(".fifo"))


# Every variable Settings reads; the cache is keyed on their values (see get_settings).
ENVIRONMENT_VARIABLES = (
    "JOBS_TABLE", "QUEUE_URL", "PAYLOAD_BUCKET", "ARCHIVE_BUCKET", "ALERTS_TOPIC_ARN", "RESULTS_TOPIC_ARN",
    "MODEL_ID", "TASKS_CONFIG", "DEFAULT_TASK", "MAX_DOCUMENT_BYTES", "INLINE_DOCUMENT_MAX_BYTES",
    "INLINE_RESULT_MAX_BYTES", "JOB_LEASE_SECONDS", "JOB_TTL_DAYS", "MAX_CONCURRENT_RECORDS",
    "BEDROCK_CONNECT_TIMEOUT_SECONDS", "BEDROCK_READ_TIMEOUT_SECONDS", "BEDROCK_MAX_ATTEMPTS",
    "RETRY_BASE_DELAY_SECONDS", "RETRY_MAX_DELAY_SECONDS", "RETRY_THROTTLED_BASE_DELAY_SECONDS",
    "FIFO_DEFAULT_MESSAGE_GROUP_ID",
    "ALLOWED_MODEL_IDS", "QUEUE_MAX_MESSAGE_BYTES", "JOB_ID_SECRET", "ARCHIVER_MAX_REQUEUES",
    "DEFAULT_MODE", "BATCH_QUEUE_URL", "BATCH_ROLE_ARN", "BATCH_BUCKET", "BATCH_MIN_RECORDS",
    "BATCH_MAX_RECORDS", "BATCH_MAX_WAIT_HOURS", "BATCH_TIMEOUT_HOURS", "BATCH_MAX_JOBS_IN_FLIGHT",
    "GUARDRAIL_ID", "GUARDRAIL_VERSION",
)  # fmt: skip

#: Job modes (SPEC "Batch mode"): an on-demand Converse call, or a Bedrock batch inference job.
JOB_MODES = ("realtime", "batch")
# Bedrock batch inference quotas (UG "batch-inference-data"): records per job, job timeout in hours.
BATCH_RECORDS_QUOTA = 50_000
BATCH_TIMEOUT_HOURS_RANGE = (24, 168)


def _guardrail() -> Guardrail | None:
    """GUARDRAIL_ID and GUARDRAIL_VERSION, both or neither (Converse needs the version with the id)."""
    identifier, version = _str("GUARDRAIL_ID"), _str("GUARDRAIL_VERSION")
    if identifier is None and version is None:
        return None
    if identifier is None or version is None:
        raise ConfigurationError("GUARDRAIL_ID and GUARDRAIL_VERSION must be set together")
    return Guardrail(identifier, version)


def get_settings() -> Settings:
    """Settings for the current environment, parsed once and reused while the environment is unchanged.

    In Lambda the environment never changes, so this parses once per container; callers that change
    variables between invocations (tests, scripts, the local runner) get fresh settings, never stale ones.
    """
    return _settings_for(tuple(os.environ.get(name) for name in ENVIRONMENT_VARIABLES))


@lru_cache(maxsize=4)
def _settings_for(_environment: tuple[str | None, ...]) -> Settings:
    settings = Settings(
        jobs_table=_str("JOBS_TABLE"),
        queue_url=_str("QUEUE_URL"),
        payload_bucket=_str("PAYLOAD_BUCKET"),
        archive_bucket=_str("ARCHIVE_BUCKET"),
        alerts_topic_arn=_str("ALERTS_TOPIC_ARN"),
        results_topic_arn=_str("RESULTS_TOPIC_ARN"),
        model_id=_str("MODEL_ID"),
        tasks=load_tasks(os.environ.get("TASKS_CONFIG")),
        default_task=_str("DEFAULT_TASK") or "summarize",
        max_document_bytes=_int("MAX_DOCUMENT_BYTES", 1_000_000, minimum=1),
        inline_document_max_bytes=_int("INLINE_DOCUMENT_MAX_BYTES", 200_000, minimum=0),
        inline_result_max_bytes=_int("INLINE_RESULT_MAX_BYTES", 100_000, minimum=0),
        job_lease_seconds=_int("JOB_LEASE_SECONDS", 0, minimum=0),
        job_ttl_days=_int("JOB_TTL_DAYS", 0, minimum=0),
        max_concurrent_records=_int("MAX_CONCURRENT_RECORDS", 10, minimum=1),
        bedrock_connect_timeout_seconds=_float("BEDROCK_CONNECT_TIMEOUT_SECONDS", 2.0, minimum=0.1),
        bedrock_read_timeout_seconds=_float("BEDROCK_READ_TIMEOUT_SECONDS", 20.0, minimum=0.1),
        bedrock_max_attempts=_int("BEDROCK_MAX_ATTEMPTS", 2, minimum=1),
        retry_base_delay_seconds=_int("RETRY_BASE_DELAY_SECONDS", 10, minimum=0),
        retry_max_delay_seconds=_int("RETRY_MAX_DELAY_SECONDS", 900, minimum=0),
        # Throttling outlasts a 10 s backoff: 90–180 s, then 180–360 s, so three receives span ≥ 4.5 min.
        retry_throttled_base_delay_seconds=_int("RETRY_THROTTLED_BASE_DELAY_SECONDS", 180, minimum=0),
        fifo_default_message_group_id=_str("FIFO_DEFAULT_MESSAGE_GROUP_ID") or "default",
        allowed_model_ids=frozenset(
            m.strip() for m in (_str("ALLOWED_MODEL_IDS") or "").split(",") if m.strip()
        ),
        # SQS's default and the module's queue_max_message_size default; 1 MiB is the SQS maximum.
        queue_max_message_bytes=_int("QUEUE_MAX_MESSAGE_BYTES", 262_144, minimum=1_024),
        job_id_secret=_str("JOB_ID_SECRET"),
        archiver_max_requeues=_int("ARCHIVER_MAX_REQUEUES", 3, minimum=0),
        default_mode=_str("DEFAULT_MODE") or "realtime",
        batch_queue_url=_str("BATCH_QUEUE_URL"),
        batch_role_arn=_str("BATCH_ROLE_ARN"),
        batch_bucket=_str("BATCH_BUCKET") or _str("PAYLOAD_BUCKET"),
        batch_min_records=_int("BATCH_MIN_RECORDS", 100, minimum=1),
        batch_max_records=_int("BATCH_MAX_RECORDS", BATCH_RECORDS_QUOTA, minimum=1),
        batch_max_wait_hours=_float("BATCH_MAX_WAIT_HOURS", 24.0, minimum=0.0),
        batch_timeout_hours=_int("BATCH_TIMEOUT_HOURS", 24, minimum=1),
        batch_max_jobs_in_flight=_int("BATCH_MAX_JOBS_IN_FLIGHT", 10, minimum=1),
        guardrail=_guardrail(),
    )
    if settings.default_task not in settings.tasks:
        raise ConfigurationError(f"DEFAULT_TASK {settings.default_task!r} is not a configured task")
    if settings.inline_document_max_bytes > 240_000:
        # SQS caps a message (body + attributes) at 256 KiB; keep room for the JSON envelope.
        raise ConfigurationError("INLINE_DOCUMENT_MAX_BYTES must be ≤ 240000 to fit an SQS message")
    if settings.inline_result_max_bytes > INLINE_RESULT_LIMIT_BYTES:
        # A DynamoDB item holds at most 400 KB; the job's other attributes need the rest.
        raise ConfigurationError(
            f"INLINE_RESULT_MAX_BYTES must be ≤ {INLINE_RESULT_LIMIT_BYTES} (DynamoDB item limit)"
        )
    if settings.queue_max_message_bytes > 1_048_576:
        raise ConfigurationError("QUEUE_MAX_MESSAGE_BYTES must be ≤ 1048576 (the SQS maximum message size)")
    if settings.default_mode not in JOB_MODES:
        raise ConfigurationError(f"DEFAULT_MODE must be one of {', '.join(JOB_MODES)}")
    if not settings.batch_min_records <= settings.batch_max_records <= BATCH_RECORDS_QUOTA:
        raise ConfigurationError(
            f"need BATCH_MIN_RECORDS ≤ BATCH_MAX_RECORDS ≤ {BATCH_RECORDS_QUOTA} (Bedrock batch quota)"
        )
    low, high = BATCH_TIMEOUT_HOURS_RANGE
    if not low <= settings.batch_timeout_hours <= high:
        raise ConfigurationError(f"BATCH_TIMEOUT_HOURS must be {low}–{high} (Bedrock's range)")
    if settings.retry_max_delay_seconds > 43_200:
        raise ConfigurationError("RETRY_MAX_DELAY_SECONDS must be ≤ 43200 (SQS visibility timeout limit)")
    return settings


get_settings.cache_clear = _settings_for.cache_clear  # type: ignore[attr-defined]
