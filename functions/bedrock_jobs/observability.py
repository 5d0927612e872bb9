"""Powertools Logger, Tracer and Metrics shared by the handlers.

Service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``; both default to ``bedrock-jobs``. Document text is never logged.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "bedrock-jobs"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "bedrock-jobs"

_Function = TypeVar("_Function", bound=Callable[..., Any])


_TRUTHY = frozenset({"1", "true", "yes", "on", "y", "t"})


def tracing_enabled() -> bool:
    """Powertools' own rule: traced only inside Lambda (not SAM/Chalice local) unless turned off."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return False
    if os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"):
        return False
    return bool(os.environ.get("LAMBDA_TASK_ROOT"))


class LazyTracer:
    """Powertools ``Tracer``, created when the first traced function runs instead of at import.

    Creating a ``Tracer`` imports the X-Ray SDK, whose recorder builds two botocore clients: about as
    much time as importing boto3 itself. Outside Lambda (tests, local runs, the bench) tracing is off
    and that cost buys nothing, so it is never paid; in Lambda the real Tracer is made on the first
    invocation, before the handler's first AWS call, and it traces the handler and methods as before.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._tracer: Any = None
        self._enabled: bool | None = None

    @property
    def enabled(self) -> bool:
        if self._enabled is None:
            self._enabled = tracing_enabled()
        return self._enabled

    @property
    def tracer(self) -> Any:
        """The Powertools Tracer (made on first use; also for annotations in traced code)."""
        if self._tracer is None:
            with self._lock:
                if self._tracer is None:
                    from aws_lambda_powertools import Tracer

                    self._tracer = Tracer(service=self.service)
        return self._tracer

    def capture_lambda_handler(self, capture_response: bool = True) -> Callable[[_Function], _Function]:
        return self._deferred(
            lambda function: self.tracer.capture_lambda_handler(function, capture_response=capture_response)
        )

    def capture_method(self, capture_response: bool = True) -> Callable[[_Function], _Function]:
        return self._deferred(
            lambda function: self.tracer.capture_method(function, capture_response=capture_response)
        )

    def _deferred(self, trace: Callable[[Any], Any]) -> Callable[[_Function], _Function]:
        def decorate(function: _Function) -> _Function:
            traced: list[Any] = []  # the traced function, built on the first call

            @functools.wraps(function)
            def call(*args: Any, **kwargs: Any) -> Any:
                if not traced:
                    if not self.enabled:
                        return function(*args, **kwargs)
                    with self._lock:
                        built = trace(function) if not traced else traced[0]
                    traced[:] = [built]
                return traced[0](*args, **kwargs)

            return call  # type: ignore[return-value]

        return decorate


logger = Logger(service=SERVICE)
tracer = LazyTracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


@dataclass(frozen=True)
class _LocalContext:
    """Stand-in for the Lambda context when a handler is called outside Lambda without one."""

    function_name: str = SERVICE
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    memory_limit_in_mb: int = 0
    aws_request_id: str = "local"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000  # Lambda's longest timeout


def local_context() -> Any:
    return _LocalContext()


def emit_job_metrics(
    *,
    task: str,
    model_id: str | None,
    outcome: str,
    latency_ms: int | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
) -> None:
    """One EMF document per job, dimensioned by model and task.

    Each job gets its own ``EphemeralMetrics`` because records run in parallel threads and the shared
    ``Metrics`` instance has a single dimension set per flush.
    """
    job_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    job_metrics.add_dimension(name="task", value=task or "unknown")
    job_metrics.add_dimension(name="model_id", value=model_id or "unknown")
    if outcome == "complete":
        job_metrics.add_metric(name="JobsCompleted", unit=MetricUnit.Count, value=1)
    else:
        job_metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=1)
    if latency_ms is not None:
        job_metrics.add_metric(name="ModelLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
    if input_tokens is not None:
        job_metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=input_tokens)
    if output_tokens is not None:
        job_metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=output_tokens)
    job_metrics.flush_metrics()


def emit_systemic_error(reason: str) -> None:
    """``SystemicErrors``: a deployment problem held a job back; its alarm pages once, not per job.

    No job or model dimension, so one alarm covers every job and the metric's cardinality stays one.
    """
    systemic = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    systemic.add_metric(name="SystemicErrors", unit=MetricUnit.Count, value=1)
    systemic.flush_metrics()
    logger.error("systemic error: the deployment needs fixing; the job is kept", extra={"reason": reason})


# Why a job's own input made it fail for good; anything else is counted as "other", so the metric's
# dimension values stay this fixed set whatever the messages say.
INPUT_FAILURE_KINDS = frozenset(
    {"model_validation", "guardrail", "too_large", "unknown_task", "invalid_message", "other"}
)


def emit_input_failure(task: str | None, reason_kind: str) -> None:
    """``JobsFailedOnInput``: a job failed because of its input, counted instead of paging per job.

    Two EMF documents: one dimensioned by ``service`` only (the alarm's metric, a single series) and
    one by ``service`` and ``reason_kind`` (a fixed set, see ``INPUT_FAILURE_KINDS``) for dashboards.
    ``task`` travels as a property, not a dimension: a message may name any task, and a dimension
    per name would be a new metric per name.
    """
    kind = reason_kind if reason_kind in INPUT_FAILURE_KINDS else "other"
    for dimensions in ({}, {"reason_kind": kind}):
        input_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        for name, value in dimensions.items():
            input_metrics.add_dimension(name=name, value=value)
        input_metrics.add_metric(name="JobsFailedOnInput", unit=MetricUnit.Count, value=1)
        input_metrics.add_metadata(key="task", value=(task or "unknown")[:128])
        input_metrics.flush_metrics()


def emit_guardrail_intervention(task: str | None, guardrail: str | None) -> None:
    """``GuardrailInterventions``: a guardrail (or the model's own content filter) stopped a job.

    The job is also counted in ``JobsFailedOnInput`` (reason_kind ``guardrail``); this series is the
    one to watch for the guardrail itself: a burst means an attack, or a filter set too strict. One
    series (service only) so an alarm needs no dimension; the guardrail (``id:version``, ``none`` for a
    model that stopped without one) and the task travel as properties. The blocked text never does.
    """
    interventions = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    interventions.add_metric(name="GuardrailInterventions", unit=MetricUnit.Count, value=1)
    interventions.add_metadata(key="task", value=(task or "unknown")[:128])
    interventions.add_metadata(key="guardrail", value=(guardrail or "none")[:128])
    interventions.flush_metrics()
