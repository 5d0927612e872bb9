"""The documented default quotas the capacity planner checks a workload against, in one place.

Every value carries its source (page title and URL). Where the stored documentation did not give a number,
the entry says so and holds a deliberately low value: a plan that fits a low guess fits the real quota,
and one that does not names the quota to look up in the Service Quotas console. Quotas differ by account
(new accounts get less, and AWS adjusts them by usage), so check yours and pass them with
``--quotas FILE`` (or ``$BEDROCK_JOBS_QUOTAS``), a JSON object:

    {
      "models": {
        "global.anthropic.claude-haiku-4-5-20251001-v1:0": {"tokens_per_minute": 5000000},
        "amazon.nova-lite-v1:0": {"tokens_per_minute": 2000000, "requests_per_minute": 2000,
                                  "region": "eu-west-1", "source": "Service Quotas, 2027-01-04"}
      },
      "lambda_concurrent_executions": 3000,
      "batch": {"max_jobs_in_progress": 20}
    }

A model key is a model id (on-demand in one Region) or an inference profile id: ``us.``/``eu.``/… for
cross-Region, ``global.`` for global cross-Region inference; each scope has a quota of its own.

How Bedrock counts (UG "Quotas for the bedrock-runtime endpoint",
https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html): on the bedrock-runtime endpoint
(InvokeModel and Converse share it) inference is governed by per-model, per-Region *token* quotas — input
plus output tokens per minute, separately for on-demand, cross-Region and global cross-Region use, and a
daily token quota of 24 × 60 × the per-minute one. Requests-per-minute quotas are no longer enforced
there (2026 release note: "throttling is now governed by token-based quotas"), so ``requests_per_minute``
is ``None`` unless you supply one. Claude 4 models burn output tokens against the quota at 5× (UG "Quotas
for Amazon Bedrock", https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html, "Token burndown
rate for Anthropic Claude 4 models"); billing counts them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .overrides import read_override
from .pricing import base_model_id

QUOTAS_ENV = "BEDROCK_JOBS_QUOTAS"
SCOPES = ("on_demand", "cross_region", "global")

RUNTIME_QUOTAS_PAGE = (
    'Amazon Bedrock User Guide, "Quotas for the bedrock-runtime endpoint" '
    "(https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html)"
)
GENERAL_REFERENCE = (
    'AWS General Reference, "Amazon Bedrock endpoints and quotas" '
    "(https://docs.aws.amazon.com/general/latest/gr/bedrock.html#limits_bedrock)"
)
BURNDOWN_SOURCE = (
    'Amazon Bedrock User Guide, "Quotas for Amazon Bedrock", section "Token burndown rate for Anthropic '
    'Claude 4 models" (https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html)'
)
NOT_FOUND = (
    f"the per-model default was not in the stored copy of the {GENERAL_REFERENCE} table; this is a "
    "conservative guess — read yours in the Service Quotas console and pass it with --quotas FILE"
)

# Low on purpose (see the module docstring): what an older Claude model's on-demand default was
# (100 requests, 200,000 tokens per minute, as the User Guide's quota table listed it in 2024).
CONSERVATIVE_TOKENS_PER_MINUTE = 200_000

_QUOTA_NAME_PREFIX = {
    "on_demand": "On-demand model inference tokens per minute for",
    "cross_region": "Cross-region model inference tokens per minute for",
    "global": "Global cross-region model inference tokens per minute for",
}


@dataclass(frozen=True)
class Quota:
    """One account-level quota: its value, its Service Quotas name and where the value comes from."""

    name: str
    value: int
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "source": self.source}


@dataclass(frozen=True)
class ModelQuota:
    """A model's token (and, where enforced, request) quota for one scope, in every Region or in one."""

    model_id: str  # base model id (no profile prefix)
    display_name: str  # as the Service Quotas names spell it
    scope: str  # "on_demand" | "cross_region" | "global"
    tokens_per_minute: int
    requests_per_minute: int | None = None
    #: Quota tokens one output token uses (5 for Claude 4 models, 1 otherwise).
    output_token_burndown: float = 1.0
    region: str | None = None  # None: the default for every Region
    source: str = NOT_FOUND

    @property
    def tokens_quota_name(self) -> str:
        return f"{_QUOTA_NAME_PREFIX[self.scope]} {self.display_name}"

    @property
    def requests_quota_name(self) -> str:
        return self.tokens_quota_name.replace("tokens per minute", "requests per minute")

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "scope": self.scope,
            "region": self.region,
            "tokens_per_minute": self.tokens_per_minute,
            "tokens_quota_name": self.tokens_quota_name,
            "requests_per_minute": self.requests_per_minute,
            "requests_quota_name": self.requests_quota_name if self.requests_per_minute else None,
            "output_token_burndown": self.output_token_burndown,
            "source": self.source,
        }


@dataclass(frozen=True)
class BatchQuotas:
    """Bedrock batch inference (per model and Region; ``CreateModelInvocationJob``)."""

    min_records_per_job: Quota
    max_records_per_job: Quota
    max_input_file_bytes: Quota
    max_job_bytes: Quota
    max_jobs_in_progress: Quota
    min_timeout_hours: Quota
    max_timeout_hours: Quota

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name).as_dict() for name in self.__dataclass_fields__}


_BATCH_DATA_PAGE = (
    'Amazon Bedrock User Guide, "Format and upload your batch inference data" '
    "(https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-data.html); per-model values in "
    f"the {GENERAL_REFERENCE}"
)

DEFAULT_BATCH = BatchQuotas(
    min_records_per_job=Quota("Minimum number of records per batch inference job", 100, _BATCH_DATA_PAGE),
    max_records_per_job=Quota("Records per batch inference job", 50_000, _BATCH_DATA_PAGE),
    max_input_file_bytes=Quota("Batch inference input file size (in GB)", 1_000_000_000, _BATCH_DATA_PAGE),
    max_job_bytes=Quota("Batch inference job size (in GB)", 5_000_000_000, _BATCH_DATA_PAGE),
    max_jobs_in_progress=Quota(
        "Sum of in-progress and submitted batch inference jobs",
        10,
        'AWS Machine Learning Blog, "Automate Amazon Bedrock batch inference: Building a scalable and '
        'efficient pipeline" (https://aws.amazon.com/blogs/machine-learning/automate-amazon-bedrock-batch-'
        'inference-building-a-scalable-and-efficient-pipeline/): "10 batch inference jobs submitted per '
        "model per Region\"; the module's batch_max_jobs_in_flight defaults to the same",
    ),
    min_timeout_hours=Quota(
        "Batch inference job timeout, minimum (timeoutDurationInHours)",
        24,
        'Amazon Bedrock API Reference, "CreateModelInvocationJob" (https://docs.aws.amazon.com/bedrock/latest/'
        "APIReference/API_CreateModelInvocationJob.html): timeoutDurationInHours 24-168; batch jobs have no "
        "completion SLA",
    ),
    max_timeout_hours=Quota(
        "Batch inference job timeout, maximum (timeoutDurationInHours)",
        168,
        'Amazon Bedrock API Reference, "CreateModelInvocationJob" (https://docs.aws.amazon.com/bedrock/latest/'
        "APIReference/API_CreateModelInvocationJob.html)",
    ),
)

LAMBDA_CONCURRENCY = Quota(
    "Concurrent executions (AWS Lambda, per Region)",
    1_000,
    'AWS Lambda Developer Guide, "Lambda quotas" (https://docs.aws.amazon.com/lambda/latest/dg/'
    'gettingstarted-limits.html): 1,000 by default; "New AWS accounts have reduced concurrency … AWS raises '
    'these quotas automatically based on your usage"',
)
ESM_MAXIMUM_CONCURRENCY = Quota(
    "SQS event source mapping maximum concurrency (ScalingConfig.MaximumConcurrency, 2-1000)",
    1_000,
    'AWS Lambda Developer Guide, "Configuring scaling behavior for SQS event source mappings" '
    "(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html): MaximumConcurrency 2-1000 "
    "(the module's consumer_maximum_concurrency validation)",
)


def _claude4(model_id: str, name: str, global_tpm: int, cross_tpm: int, source: str) -> list[ModelQuota]:
    common = {"output_token_burndown": 5.0}
    return [
        ModelQuota(model_id, name, "global", global_tpm, source=source, **common),
        ModelQuota(model_id, name, "cross_region", cross_tpm, source=source, **common),
        ModelQuota(model_id, name, "on_demand", CONSERVATIVE_TOKENS_PER_MINUTE, **common),
    ]


def _unknown(model_id: str, name: str, burndown: float = 1.0) -> list[ModelQuota]:
    return [
        ModelQuota(model_id, name, scope, CONSERVATIVE_TOKENS_PER_MINUTE, output_token_burndown=burndown)
        for scope in SCOPES
    ]


_HAIKU_45_SOURCE = (
    f'{GENERAL_REFERENCE}: quota L-58BE175A "Cross-region model inference tokens per minute for Anthropic '
    'Claude Haiku 4.5" = 5,000,000 in us-east-1 (value read from the Service Quotas API, 2026-09). The '
    "global profile's default was not in the stored docs; AWS says global inference gives higher quotas, so "
    "the cross-Region value is used for it as a floor"
)

#: Documented (or, where marked, conservatively guessed) defaults for the models pricing.py prices.
DEFAULT_MODEL_QUOTAS: tuple[ModelQuota, ...] = (
    *_claude4(
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "Anthropic Claude Haiku 4.5",
        5_000_000,
        5_000_000,
        _HAIKU_45_SOURCE,
    ),
    *_unknown("anthropic.claude-sonnet-4-5-20250929-v1:0", "Anthropic Claude Sonnet 4.5 V1", burndown=5.0),
    *_unknown("anthropic.claude-sonnet-4-20250514-v1:0", "Anthropic Claude Sonnet 4 V1", burndown=5.0),
    *_unknown("anthropic.claude-3-5-haiku-20241022-v1:0", "Anthropic Claude 3.5 Haiku"),
    *_unknown("anthropic.claude-3-haiku-20240307-v1:0", "Anthropic Claude 3 Haiku"),
    *_unknown("amazon.nova-micro-v1:0", "Amazon Nova Micro"),
    *_unknown("amazon.nova-lite-v1:0", "Amazon Nova Lite"),
    *_unknown("amazon.nova-pro-v1:0", "Amazon Nova Pro"),
    *_unknown("meta.llama3-1-8b-instruct-v1:0", "Meta Llama 3.1 8B Instruct"),
    *_unknown("meta.llama3-1-70b-instruct-v1:0", "Meta Llama 3.1 70B Instruct"),
    *_unknown("mistral.mistral-large-2407-v1:0", "Mistral Large 2 (24.07)"),
)


class QuotaError(ValueError):
    """A quota file that cannot be read, or a model with no quota."""


@dataclass(frozen=True)
class QuotaTable:
    models: tuple[ModelQuota, ...] = DEFAULT_MODEL_QUOTAS
    lambda_concurrent_executions: Quota = LAMBDA_CONCURRENCY
    esm_maximum_concurrency: Quota = ESM_MAXIMUM_CONCURRENCY
    batch: BatchQuotas = field(default_factory=lambda: DEFAULT_BATCH)

    def for_model(self, model_id: str, region: str) -> ModelQuota:
        """The quota that governs calls to ``model_id`` (model, profile id or ARN) made from ``region``."""
        base, scope = base_model_id(model_id), scope_of(model_id)
        candidates = [q for q in self.models if q.model_id == base and q.scope == scope]
        # A Region's own entry wins over the every-Region default; a later entry (an override) wins a tie.
        for wanted in (region, None):
            matching = [q for q in candidates if q.region == wanted]
            if matching:
                return matching[-1]
        known = ", ".join(sorted({q.model_id for q in self.models}))
        raise QuotaError(
            f"no {scope.replace('_', '-')} quota for {model_id!r}; add it with --quotas FILE (known: {known})"
        )


def scope_of(model_id: str) -> str:
    """``global.…`` → global, ``us.…``/``eu.…``/… → cross_region, a plain model id or ARN → on_demand."""
    tail = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    if tail.startswith("global."):
        return "global"
    return "cross_region" if base_model_id(tail) != tail else "on_demand"


def load_quotas(path: str | Path | None = None) -> QuotaTable:
    """The default table with the entries of ``path`` (or ``$BEDROCK_JOBS_QUOTAS``) on top."""
    table = QuotaTable()
    override = read_override(path, QUOTAS_ENV, QuotaError, "quotas")
    if override is None:
        return table
    source, document = override
    unknown = set(document) - {"models", "lambda_concurrent_executions", "batch"}
    if unknown:
        raise QuotaError(f"{source}: unknown keys {sorted(unknown)}")
    models = list(table.models)
    for model_id, entry in (document.get("models") or {}).items():
        models.append(_model_entry(str(source), str(model_id), entry, table))
    lambda_quota = table.lambda_concurrent_executions
    if "lambda_concurrent_executions" in document:
        value = _count(str(source), "lambda_concurrent_executions", document["lambda_concurrent_executions"])
        lambda_quota = replace(lambda_quota, value=value, source=str(source))
    batch = table.batch
    overrides = document.get("batch") or {}
    if not isinstance(overrides, Mapping):
        raise QuotaError(f"{source}: batch: expected an object")
    for name, value in overrides.items():
        if name not in BatchQuotas.__dataclass_fields__:
            raise QuotaError(f"{source}: batch: unknown quota {name!r}")
        quota = getattr(batch, name)
        batch = replace(
            batch, **{name: replace(quota, value=_count(str(source), name, value), source=source)}
        )
    return QuotaTable(tuple(models), lambda_quota, table.esm_maximum_concurrency, batch)


def _count(source: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise QuotaError(f"{source}: {name} must be a whole number ≥ 1, got {value!r}")
    return value


def _model_entry(source: str, model_id: str, entry: Any, table: QuotaTable) -> ModelQuota:
    if not isinstance(entry, Mapping):
        raise QuotaError(f"{source}: {model_id}: expected an object")
    base, scope = base_model_id(model_id), scope_of(model_id)
    known = [q for q in table.models if q.model_id == base and q.scope == scope]
    template = known[-1] if known else None
    tokens = _count(source, f"{model_id}: tokens_per_minute", entry.get("tokens_per_minute"))
    requests = entry.get("requests_per_minute")
    if requests is not None:
        requests = _count(source, f"{model_id}: requests_per_minute", requests)
    burndown = entry.get("output_token_burndown", template.output_token_burndown if template else 1.0)
    if isinstance(burndown, bool) or not isinstance(burndown, int | float) or burndown <= 0:
        raise QuotaError(f"{source}: {model_id}: output_token_burndown must be a number > 0")
    region = entry.get("region")
    if region is not None and not isinstance(region, str):
        raise QuotaError(f"{source}: {model_id}: region must be a string")
    return ModelQuota(
        base,
        str(entry.get("display_name") or (template.display_name if template else base)),
        scope,
        tokens,
        requests,
        float(burndown),
        region,
        str(entry.get("source") or source),
    )
