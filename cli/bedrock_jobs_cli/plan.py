"""``bedrock-jobs plan``: how big, how long, how much — a workload sized against the quotas and the module.

    bedrock-jobs plan --documents 10000 --seconds-per-document 8 --deadline-minutes 60 [--json]

The arithmetic lives in ``make_plan`` (pure; tests pin it). The rules it applies:

- Headroom: the plan aims to finish within ``HEADROOM`` (80 %) of the deadline, so throttling retries,
  redeliveries and a slower-than-planned model eat into the remaining 20 % instead of the deadline.
- Calls in flight: the fewest that finish in that time. Each record costs its model time plus
  ``RECORD_OVERHEAD_SECONDS`` (claiming the job, storing the result, publishing the notice); records
  run in waves of ``in_flight`` at a time, so the makespan is ``ceil(N / in_flight) × (S + overhead)``,
  plus half of the event source mapping's ramp-up beyond its first five pollers (Lambda adds up to
  300 concurrent invocations a minute, LDG "Configuring scaling behavior for SQS event source mappings").
- Shape: ``in_flight = consumer_maximum_concurrency × consumer_max_concurrent_records``, with at most
  ``PREFERRED_RECORDS_PER_INVOCATION`` records per invocation (threads in one 512 MB function; more only
  when 1,000 invocations are not enough) and ``consumer_batch_size`` equal to it: every record of a batch
  starts at once, so no record waits inside an invocation for another one.
- Consumer timeout: one record's worst case, as the module's own validation of ``consumer_timeout``
  computes it — ``max_attempts × (connect + read timeout) + retry backoff + 3 s`` — with a read timeout
  of at least ``READ_TIMEOUT_FACTOR`` (3) × the planned model time, so a response three times slower than
  planned still completes; rounded up to 10 s and never below the module's default. The queue's
  visibility timeout is then ``6 × consumer_timeout + batching window`` (AWS's recommendation, the
  module's rule) and the job lease ``consumer_timeout + 30 s``.
- Quotas: requests per minute = in flight × 60 / S; quota tokens per minute = requests per minute ×
  (input + output × the model's output burndown); compared with the model's token quota for the scope
  its id names (on-demand, cross-Region ``us.``…, global ``global.``), and Lambda's concurrency with the
  consumer's and archiver's invocations.
- Batch mode: half the price, but a batch job's timeout is at least 24 h and it has no completion SLA:
  it can meet a deadline only of 24 h or more, and even then with no guarantee.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import CliError
from .pricing import PricingError, load_prices, price_for
from .quotas import QuotaError, load_quotas, scope_of

HEADROOM = 0.8
RECORD_OVERHEAD_SECONDS = 0.25
PREFERRED_RECORDS_PER_INVOCATION = 10
MAX_RECORDS_PER_INVOCATION = 100  # the module's consumer_max_concurrent_records validation
READ_TIMEOUT_FACTOR = 3
MAX_READ_TIMEOUT_SECONDS = 840  # consumer_bedrock_read_timeout_seconds validation
MAX_CONSUMER_TIMEOUT_SECONDS = 900  # Lambda's limit and the module's validation
MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200
ESM_INITIAL_CONCURRENCY = 5
ESM_SCALE_UP_PER_MINUTE = 300
#: Invocations the DLQ archiver may hold besides the consumer (the module's archiver_maximum_concurrency).
ARCHIVER_CONCURRENCY = 2
DEFAULT_INPUT_TOKENS = 1_000
DEFAULT_OUTPUT_TOKENS = 250
DEFAULT_REGION = "us-east-1"

#: The module defaults the plan starts from, used only where ``variables.tf`` cannot be read (the CLI
#: installed without the repository, or without python-hcl2); tests/cli/test_plan.py checks them against
#: variables.tf.
FALLBACK_MODULE_DEFAULTS: dict[str, Any] = {
    "model_id": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "consumer_timeout": 50,
    "consumer_maximum_batching_window_in_seconds": 5,
    "consumer_bedrock_connect_timeout_seconds": 2,
    "consumer_bedrock_read_timeout_seconds": 20,
    "consumer_bedrock_max_attempts": 2,
    "archiver_maximum_concurrency": ARCHIVER_CONCURRENCY,
}


def module_defaults() -> dict[str, Any]:
    """The values above as the module's ``variables.tf`` declares them, read like the local runner does."""
    try:
        from bedrock_jobs_local.module_defaults import ModuleDefaultsError, load_module_defaults
    except ImportError:
        return dict(FALLBACK_MODULE_DEFAULTS)
    try:
        declared = load_module_defaults()
    except ModuleDefaultsError:
        return dict(FALLBACK_MODULE_DEFAULTS)
    return {name: getattr(declared, name) for name in FALLBACK_MODULE_DEFAULTS}


@dataclass(frozen=True)
class QuotaCheck:
    name: str
    needed: float
    quota: float | None  # None: not enforced
    source: str

    @property
    def fits(self) -> bool:
        return self.quota is None or self.needed <= self.quota


@dataclass(frozen=True)
class Plan:
    documents: int
    seconds_per_document: float
    input_tokens: int
    output_tokens: int
    deadline_minutes: float
    model_id: str
    region: str
    quota_scope: str
    headroom: float
    sequential_hours: float
    target_minutes: float
    in_flight: int
    consumer_maximum_concurrency: int
    records_per_invocation: int
    batch_size: int
    batching_window_seconds: int
    bedrock_read_timeout_seconds: int
    consumer_timeout: int
    visibility_timeout_seconds: int
    job_lease_seconds: int
    waves: int
    makespan_minutes: float
    meets_deadline: bool
    requests_per_minute: float
    tokens_per_minute: float
    quota_checks: list[QuotaCheck]
    on_demand_usd: float
    batch_usd: float | None
    priced_as: str
    price_source: str
    batch_can_meet_deadline: bool
    batch_jobs_needed: int
    batch_note: str
    tfvars: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def fits_quotas(self) -> bool:
        return all(check.fits for check in self.quota_checks)

    @property
    def to_raise(self) -> list[dict[str, Any]]:
        return [
            {"quota": c.name, "current": c.quota, "needed": math.ceil(c.needed)}
            for c in self.quota_checks
            if not c.fits
        ]

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` answer: SPEC "Operator CLI" keys first, then the detail."""
        return {
            "sequential_hours": self.sequential_hours,
            "in_flight": self.in_flight,
            "makespan_minutes": self.makespan_minutes,
            "requests_per_minute": self.requests_per_minute,
            "fits_quotas": self.fits_quotas,
            "cost": {
                "on_demand_usd": self.on_demand_usd,
                "batch_usd": self.batch_usd,
                "priced_as": self.priced_as,
                "source": self.price_source,
            },
            "tfvars": self.tfvars,
            "tokens_per_minute": self.tokens_per_minute,
            "meets_deadline": self.meets_deadline,
            "quotas": [{**asdict(c), "fits": c.fits} for c in self.quota_checks],
            "to_raise": self.to_raise,
            "inputs": {
                "documents": self.documents,
                "seconds_per_document": self.seconds_per_document,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "deadline_minutes": self.deadline_minutes,
                "model_id": self.model_id,
                "region": self.region,
                "quota_scope": self.quota_scope,
            },
            "sizing": {
                "headroom": self.headroom,
                "target_minutes": self.target_minutes,
                "record_overhead_seconds": RECORD_OVERHEAD_SECONDS,
                "waves": self.waves,
                "esm_maximum_concurrency": self.consumer_maximum_concurrency,
                "records_per_invocation": self.records_per_invocation,
                "batch_size": self.batch_size,
                "batching_window_seconds": self.batching_window_seconds,
                "bedrock_read_timeout_seconds": self.bedrock_read_timeout_seconds,
                "consumer_timeout": self.consumer_timeout,
                "visibility_timeout_seconds": self.visibility_timeout_seconds,
                "job_lease_seconds": self.job_lease_seconds,
            },
            "batch": {
                "can_meet_deadline": self.batch_can_meet_deadline,
                "jobs_needed": self.batch_jobs_needed,
                "note": self.batch_note,
            },
            "notes": self.notes,
            # The simulation (make run ARGS="--plan FILE") reads these back.
            "documents": self.documents,
            "seconds_per_document": self.seconds_per_document,
        }


def _worst_case_record_seconds(attempts: int, connect: float, read: float) -> float:
    # Mirrors the consumer_timeout validation in variables.tf (and Settings.record_budget_seconds).
    backoff = sum(min(20, 2**n) for n in range(1, attempts))
    return attempts * (connect + read) + backoff + 3


def _shape(in_flight: int) -> tuple[int, int]:
    """(maximum_concurrency, records per invocation) whose product is at least ``in_flight``."""
    concurrency = max(2, math.ceil(in_flight / PREFERRED_RECORDS_PER_INVOCATION))
    if concurrency > 1000:
        concurrency = 1000
    records = min(MAX_RECORDS_PER_INVOCATION, max(1, math.ceil(in_flight / concurrency)))
    return concurrency, records


def _makespan_seconds(documents: int, in_flight: int, concurrency: int, record_seconds: float) -> float:
    waves = math.ceil(documents / in_flight)
    ramp_seconds = max(0, concurrency - ESM_INITIAL_CONCURRENCY) / ESM_SCALE_UP_PER_MINUTE * 60
    # While the mapping ramps up, on average half the planned capacity is missing.
    return waves * record_seconds + ramp_seconds / 2


def make_plan(
    *,
    documents: int,
    seconds_per_document: float,
    deadline_minutes: float,
    model_id: str,
    input_tokens: int = DEFAULT_INPUT_TOKENS,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    region: str = DEFAULT_REGION,
    quotas: Any = None,
    prices: Any = None,
    defaults: dict[str, Any] | None = None,
) -> Plan:
    """Size ``documents`` of ``seconds_per_document`` each to finish by ``deadline_minutes``.

    Raises ``QuotaError``/``PricingError`` for a model the tables do not know, ``ValueError`` for inputs
    out of range.
    """
    if documents < 1 or seconds_per_document <= 0 or deadline_minutes <= 0:
        raise ValueError("documents, seconds per document and deadline must be positive")
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts must not be negative")
    table = quotas if quotas is not None else load_quotas()
    model_quota = table.for_model(model_id, region)
    price = price_for(model_id, prices if prices is not None else load_prices())
    d = {**FALLBACK_MODULE_DEFAULTS, **(defaults or {})}
    notes: list[str] = []

    record_seconds = seconds_per_document + RECORD_OVERHEAD_SECONDS
    target_seconds = HEADROOM * deadline_minutes * 60
    max_in_flight = 1000 * MAX_RECORDS_PER_INVOCATION
    in_flight = min(max_in_flight, max(1, math.ceil(documents * record_seconds / target_seconds)))
    while True:
        concurrency, records = _shape(in_flight)
        actual = concurrency * records
        makespan = _makespan_seconds(documents, actual, concurrency, record_seconds)
        if makespan <= target_seconds or actual >= min(documents, max_in_flight):
            break
        in_flight = actual + 1
    in_flight = actual
    if in_flight >= documents and makespan > target_seconds:
        notes.append(
            "every document is in flight at once and the deadline is still missed: one document "
            "takes longer than the deadline allows"
        )

    connect = float(d["consumer_bedrock_connect_timeout_seconds"])
    attempts = int(d["consumer_bedrock_max_attempts"])
    read_timeout = min(
        MAX_READ_TIMEOUT_SECONDS,
        max(
            int(d["consumer_bedrock_read_timeout_seconds"]),
            math.ceil(READ_TIMEOUT_FACTOR * seconds_per_document),
        ),
    )
    worst_case = _worst_case_record_seconds(attempts, connect, read_timeout)
    consumer_timeout = max(int(d["consumer_timeout"]), 10 * math.ceil(worst_case / 10))
    if consumer_timeout > MAX_CONSUMER_TIMEOUT_SECONDS:
        consumer_timeout = MAX_CONSUMER_TIMEOUT_SECONDS
        notes.append(
            "one record's worst case exceeds Lambda's 15 minutes: lower the read timeout or attempts"
        )
    window = int(d["consumer_maximum_batching_window_in_seconds"])
    if records > 10 and window < 1:
        window = 1  # the module rejects a batch size above 10 without a batching window
    visibility = min(MAX_VISIBILITY_TIMEOUT_SECONDS, 6 * consumer_timeout + window)

    requests_per_minute = in_flight * 60 / seconds_per_document
    quota_tokens_per_request = input_tokens + output_tokens * model_quota.output_token_burndown
    tokens_per_minute = requests_per_minute * quota_tokens_per_request
    lambda_needed = concurrency + int(d["archiver_maximum_concurrency"])
    checks = [
        QuotaCheck(
            model_quota.tokens_quota_name,
            round(tokens_per_minute),
            model_quota.tokens_per_minute,
            model_quota.source,
        ),
        QuotaCheck(
            model_quota.requests_quota_name,
            round(requests_per_minute, 1),
            model_quota.requests_per_minute,
            model_quota.source
            if model_quota.requests_per_minute
            else "not enforced on the bedrock-runtime endpoint (token quotas only); "
            "pass one with --quotas FILE",
        ),
        QuotaCheck(
            table.lambda_concurrent_executions.name,
            lambda_needed,
            table.lambda_concurrent_executions.value,
            table.lambda_concurrent_executions.source,
        ),
        QuotaCheck(
            table.esm_maximum_concurrency.name,
            concurrency,
            table.esm_maximum_concurrency.value,
            table.esm_maximum_concurrency.source,
        ),
    ]
    daily_tokens = tokens_per_minute * min(24 * 60, makespan / 60)
    if model_quota.output_token_burndown != 1:
        notes.append(
            f"{model_quota.display_name} burns each output token {model_quota.output_token_burndown:g}× "
            "against the token quota (not the bill)"
        )
    notes.append(
        "Bedrock reserves input + maxTokens of the quota when a request starts: keep the task's maxTokens "
        f"close to the {output_tokens} output tokens planned (quota tokens over the run: {daily_tokens:,.0f})"
    )

    total_in, total_out = documents * input_tokens, documents * output_tokens
    batch = table.batch
    batch_jobs = math.ceil(documents / batch.max_records_per_job.value)
    batch_deadline_ok = deadline_minutes >= batch.min_timeout_hours.value * 60
    if documents < batch.min_records_per_job.value:
        batch_note = (
            f"fewer than {batch.min_records_per_job.value} documents: below a batch job's minimum; "
            "the module sends them on demand"
        )
        batch_deadline_ok = False
    elif not batch_deadline_ok:
        batch_note = (
            f"a batch job's timeout is at least {batch.min_timeout_hours.value} h and it has no "
            f"completion SLA: it cannot promise a {deadline_minutes:g}-minute deadline"
        )
    else:
        batch_note = (
            f"{batch_jobs} batch job(s) (≤ {batch.max_records_per_job.value:,} records each, "
            f"{batch.max_jobs_in_progress.value} in progress per model): half the price, no SLA"
        )
    if not price.batch_supported:
        batch_note += "; no batch price for this model"

    tfvars = {
        "model_id": model_id,
        "consumer_maximum_concurrency": concurrency,
        "consumer_max_concurrent_records": records,
        "consumer_batch_size": records,
        "consumer_maximum_batching_window_in_seconds": window,
        "consumer_bedrock_read_timeout_seconds": read_timeout,
        "consumer_timeout": consumer_timeout,
        "queue_visibility_timeout_seconds": visibility,
    }
    return Plan(
        documents=documents,
        seconds_per_document=seconds_per_document,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        deadline_minutes=deadline_minutes,
        model_id=model_id,
        region=region,
        quota_scope=scope_of(model_id),
        headroom=HEADROOM,
        sequential_hours=round(documents * seconds_per_document / 3600, 2),
        target_minutes=round(target_seconds / 60, 2),
        in_flight=in_flight,
        consumer_maximum_concurrency=concurrency,
        records_per_invocation=records,
        batch_size=records,
        batching_window_seconds=window,
        bedrock_read_timeout_seconds=read_timeout,
        consumer_timeout=consumer_timeout,
        visibility_timeout_seconds=visibility,
        job_lease_seconds=consumer_timeout + 30,
        waves=math.ceil(documents / in_flight),
        makespan_minutes=round(makespan / 60, 2),
        meets_deadline=makespan <= deadline_minutes * 60,
        requests_per_minute=round(requests_per_minute, 1),
        tokens_per_minute=round(tokens_per_minute),
        quota_checks=checks,
        on_demand_usd=round(price.on_demand_usd(total_in, total_out), 2),
        batch_usd=None if not price.batch_supported else round(price.batch_usd(total_in, total_out) or 0, 2),
        priced_as=price.model_id,
        price_source=price.source,
        batch_can_meet_deadline=batch_deadline_ok,
        batch_jobs_needed=batch_jobs,
        batch_note=batch_note,
        tfvars=tfvars,
        notes=notes,
    )


# -- tfvars ---------------------------------------------------------------------------------------


def render_tfvars(tfvars: dict[str, Any], json_format: bool) -> str:
    if json_format:
        return json.dumps(tfvars, indent=2) + "\n"
    width = max(len(name) for name in tfvars)
    lines = ["# Written by `bedrock-jobs plan`: the module variables the plan recommends."]
    lines += [f"{name.ljust(width)} = {json.dumps(value)}" for name, value in tfvars.items()]
    return "\n".join(lines) + "\n"


def write_tfvars(path: Path, tfvars: dict[str, Any]) -> None:
    json_format = path.name.endswith(".tfvars.json") or path.suffix == ".json"
    try:
        path.write_text(render_tfvars(tfvars, json_format), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc}") from exc


# -- text output ----------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "not enforced"
    return f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.1f}"


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def render_text(plan: Plan) -> str:
    rows = [
        (
            "workload",
            f"{plan.documents:,} documents × {plan.seconds_per_document:g} s "
            f"({plan.input_tokens:,} in / {plan.output_tokens:,} out tokens each)",
        ),
        ("one by one", f"{plan.sequential_hours:g} h"),
        (
            "deadline",
            f"{plan.deadline_minutes:g} min (planned within {plan.headroom:.0%}: "
            f"{plan.target_minutes:g} min)",
        ),
        (
            "in flight",
            f"{plan.in_flight} model calls = {plan.consumer_maximum_concurrency} invocations × "
            f"{plan.records_per_invocation} records",
        ),
        (
            "makespan",
            f"{plan.makespan_minutes:g} min ({plan.waves} waves) — "
            + ("meets the deadline" if plan.meets_deadline else "MISSES the deadline"),
        ),
        ("model", f"{plan.model_id} ({plan.quota_scope.replace('_', '-')}, {plan.region})"),
        (
            "rate",
            f"{plan.requests_per_minute:,.1f} requests/min · {plan.tokens_per_minute:,.0f} quota tokens/min",
        ),
    ]
    for check in plan.quota_checks:
        mark = "ok " if check.fits else "RAISE"
        rows.append(
            (f"  {mark}", f"{check.name}: need {_number(check.needed)}, quota {_number(check.quota)}")
        )
    rows += [
        (
            "cost",
            f"on-demand {_usd(plan.on_demand_usd)} · batch {_usd(plan.batch_usd)} "
            f"(priced as {plan.priced_as})",
        ),
        (
            "batch mode",
            ("possible: " if plan.batch_can_meet_deadline else "not for this deadline: ") + plan.batch_note,
        ),
        (
            "consumer",
            f"timeout {plan.consumer_timeout} s (read timeout {plan.bedrock_read_timeout_seconds} s) · "
            f"visibility {plan.visibility_timeout_seconds} s · lease {plan.job_lease_seconds} s",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["bedrock-jobs plan", "─" * 72]
    lines += [f"  {name.ljust(width)}  {value}" for name, value in rows]
    lines.append("─" * 72)
    lines.append("tfvars:")
    lines += [f"  {line}" for line in render_tfvars(plan.tfvars, False).splitlines()[1:]]
    if not plan.fits_quotas:
        lines.append(
            "DOES NOT FIT: raise " + "; ".join(f"{r['quota']} to {r['needed']:,}" for r in plan.to_raise)
        )
    lines += [f"note: {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"


# -- command --------------------------------------------------------------------------------------


def _numeric_argument(kind: type[int] | type[float], *, allow_zero: bool = False) -> Any:
    """An argparse type: a whole number (``int``) or a finite number (``float``), above 0 (or ≥ 0)."""
    noun = "a whole number" if kind is int else "a number"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(
                f"must be {'0 or more' if allow_zero else 'above 0'}, got {text}"
            )
        return value

    return parse


_positive_int = _numeric_argument(int)
_non_negative_int = _numeric_argument(int, allow_zero=True)
_positive_float = _numeric_argument(float)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "plan",
        parents=[common],
        help="size a workload: calls in flight, module variables, quota check, makespan and cost",
        description="Size N documents to finish by a deadline: the calls in flight needed, the module "
        "variables that give them, the Bedrock and Lambda quotas they need, the predicted makespan, and the "
        "cost on demand and in batch.",
    )
    parser.add_argument("--documents", type=_positive_int, required=True, metavar="N")
    latency = parser.add_mutually_exclusive_group(required=True)
    latency.add_argument(
        "--seconds-per-document", type=_positive_float, metavar="S", help="model time per document"
    )
    latency.add_argument(
        "--output-tokens-per-second",
        type=_positive_float,
        metavar="R",
        help="the model's output speed: S = --output-tokens / R",
    )
    parser.add_argument(
        "--input-tokens",
        type=_non_negative_int,
        default=DEFAULT_INPUT_TOKENS,
        help="input tokens per document, prompt included (default: %(default)s)",
    )
    parser.add_argument(
        "--output-tokens",
        type=_non_negative_int,
        default=DEFAULT_OUTPUT_TOKENS,
        help="output tokens per document (default: %(default)s)",
    )
    parser.add_argument("--deadline-minutes", type=_positive_float, required=True, metavar="M")
    parser.add_argument(
        "--model-id", default=None, help="model or inference profile id (default: the module's)"
    )
    parser.add_argument(
        "--quotas", type=Path, metavar="FILE", help="JSON quotas over bedrock_jobs_cli/quotas.py"
    )
    parser.add_argument(
        "--prices", type=Path, metavar="FILE", help="JSON prices over bedrock_jobs_cli/pricing.py"
    )
    parser.add_argument(
        "--tfvars",
        type=Path,
        metavar="FILE",
        help="write the recommended module variables (.tfvars.json: JSON)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, cli: Any) -> int:
    seconds = args.seconds_per_document
    if seconds is None:
        if args.output_tokens < 1:
            raise CliError("--output-tokens-per-second needs --output-tokens of at least 1")
        seconds = args.output_tokens / args.output_tokens_per_second
    defaults = module_defaults()
    region = (
        getattr(args, "region", None)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )
    try:
        plan = make_plan(
            documents=args.documents,
            seconds_per_document=seconds,
            deadline_minutes=args.deadline_minutes,
            model_id=args.model_id or str(defaults["model_id"]),
            input_tokens=args.input_tokens,
            output_tokens=args.output_tokens,
            region=region,
            quotas=load_quotas(args.quotas),
            prices=load_prices(args.prices),
            defaults=defaults,
        )
    except (QuotaError, PricingError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if args.tfvars is not None:
        write_tfvars(args.tfvars, plan.tfvars)
    cli.emit(plan.as_dict(), render_text(plan))
    return 0
