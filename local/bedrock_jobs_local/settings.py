"""The local run's settings: the module's defaults, with time optionally compressed for a demo.

``time_scale`` divides the durations that only make the demo wait — the main queue's and the DLQ's
visibility timeouts, the batching window and the consumer's retry backoff (``RETRY_*_DELAY_SECONDS``) —
so that a message still comes back after its visibility timeout and is still dead-lettered after
``maxReceiveCount`` receives, just sooner. Function timeouts, job leases and model timeouts are never
scaled: the consumer sizes its work by the time Lambda gives it, and shrinking that would change what
it does, not how fast the demo runs. At ``time_scale = 1`` everything equals the module.

Caveat at ``time_scale > 1``: the visibility timeout gets shorter than the job lease (function timeout
+ 30 s). A message whose invocation died *without releasing its lease* could then use up its receives
while the lease still blocks it and end archived (failed — never lost). Handled failures release the
lease, so the default run (throttling, 5xx, model timeouts, poison documents) is not affected.

Plan runs (``make run ARGS="--plan FILE"``, built with ``LocalSettings.for_plan``) are the exception: they
replay a planned workload on a scaled clock, so *everything* that takes time is divided by ``time_scale`` —
model latency (run.py), the consumer's and archiver's timeouts, the job lease and the Bedrock client's
timeouts too. Otherwise a run at ×15 would give the consumer fifteen times more time per record than
the plan does.
One floor remains: the consumer will not start a record with less than one model attempt plus
``STORAGE_MARGIN_SECONDS`` (3 s, a constant of the function code, not a variable) left, so its scaled
timeout is raised to that plus one second where the division would go below it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from bedrock_jobs.config import STORAGE_MARGIN_SECONDS

from .embedded_aws import QueueSettings
from .event_source_mapping import MappingConfig
from .module_defaults import ModuleDefaults

#: The local model answers in milliseconds, so its calls get a short read timeout; otherwise each injected
#: "timeout" fault would hold a record for 2 × 20 s.
LOCAL_MODEL_READ_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class LocalSettings:
    module: ModuleDefaults
    time_scale: float = 1.0
    local_model: bool = True
    pollers: int = 5
    #: Plan runs only: the module as declared, while ``module`` carries the function timeouts already
    #: divided by ``time_scale`` (the Pipeline reads them from there). None: nothing is pre-scaled.
    declared: ModuleDefaults | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.time_scale <= 100:
            raise ValueError("time_scale must be between 1 and 100")

    @classmethod
    def for_plan(cls, module: ModuleDefaults, time_scale: float, pollers: int = 5) -> LocalSettings:
        """Settings for a planned workload on the local model: function timeouts scaled as well."""
        scale = time_scale
        attempt = (
            module.consumer_bedrock_connect_timeout_seconds + module.consumer_bedrock_read_timeout_seconds
        ) / scale
        consumer_timeout = max(module.consumer_timeout / scale, attempt + STORAGE_MARGIN_SECONDS + 1.0)
        scaled = replace(
            module,
            consumer_timeout=consumer_timeout,
            archiver_timeout=max(1.0, module.archiver_timeout / scale),
            # The producer only answers POST /jobs, outside the planned processing: its timeout stays, so
            # a busy embedded AWS cannot turn a slow submission into a 5xx the plan never predicted.
        )
        return cls(scaled, time_scale=time_scale, local_model=True, pollers=pollers, declared=module)

    @property
    def module_as_declared(self) -> ModuleDefaults:
        return self.declared or self.module

    @property
    def scales_functions(self) -> bool:
        return self.declared is not None

    # -- queues ----------------------------------------------------------------------------------
    def _scaled(self, seconds: float) -> int:
        # SQS durations are whole seconds; round up so scaling never makes a timeout vanish.
        return max(1, math.ceil(seconds / self.time_scale))

    @property
    def queues(self) -> QueueSettings:
        m = self.module_as_declared
        return QueueSettings(
            visibility_timeout=self._scaled(m.effective_visibility_timeout),
            message_retention=m.queue_message_retention_seconds,
            max_receive_count=m.queue_max_receive_count,
            dlq_visibility_timeout=self._scaled(m.dlq_visibility_timeout),
            dlq_message_retention=m.dlq_message_retention_seconds,
        )

    @property
    def batch_queue_visibility_timeout(self) -> int:
        # batch.tf: the batch queue's visibility follows the submitter's timeout, as the main queue's
        # follows the consumer's.
        return self._scaled(6 * self.module_as_declared.batch_submitter_timeout)

    # -- event source mappings -------------------------------------------------------------------
    @property
    def batching_window_seconds(self) -> float:
        return self.module.consumer_maximum_batching_window_in_seconds / self.time_scale

    @property
    def consumer_mapping(self) -> MappingConfig:
        m = self.module
        return MappingConfig(
            batch_size=m.consumer_batch_size,
            maximum_batching_window_seconds=self.batching_window_seconds,
            maximum_concurrency=m.consumer_maximum_concurrency,
            report_batch_item_failures=True,
            pollers=self.pollers,
        )

    @property
    def archiver_mapping(self) -> MappingConfig:
        return MappingConfig(
            batch_size=self.module.archiver_batch_size,
            maximum_batching_window_seconds=0,
            maximum_concurrency=self.module.archiver_maximum_concurrency,
            report_batch_item_failures=True,
            pollers=2,
        )

    # -- function environment --------------------------------------------------------------------
    @property
    def retry_base_delay_seconds(self) -> int:
        # Whole seconds (ChangeMessageVisibility); at large scales the backoff rounds to "at once".
        return round(self.module.consumer_retry_base_delay_seconds / self.time_scale)

    @property
    def retry_throttled_base_delay_seconds(self) -> int:
        return round(self.module.consumer_retry_throttled_base_delay_seconds / self.time_scale)

    @property
    def retry_max_delay_seconds(self) -> int:
        return max(1, round(self.module.consumer_retry_max_delay_seconds / self.time_scale))

    @property
    def bedrock_connect_timeout_seconds(self) -> float:
        connect = self.module_as_declared.consumer_bedrock_connect_timeout_seconds
        return connect / self.time_scale if self.scales_functions else connect

    @property
    def job_lease_seconds(self) -> int:
        lease = self.module_as_declared.job_lease_seconds
        return math.ceil(lease / self.time_scale) if self.scales_functions else lease

    @property
    def bedrock_read_timeout_seconds(self) -> float:
        if self.scales_functions:
            return self.module_as_declared.consumer_bedrock_read_timeout_seconds / self.time_scale
        if self.local_model:
            return min(LOCAL_MODEL_READ_TIMEOUT_SECONDS, self.module.consumer_bedrock_read_timeout_seconds)
        return float(self.module.consumer_bedrock_read_timeout_seconds)

    def function_environment(self) -> dict[str, str]:
        """Variables the module sets on the functions, minus the resource names (see Pipeline)."""
        m = self.module
        return {
            "MAX_CONCURRENT_RECORDS": str(m.consumer_max_concurrent_records),
            "JOB_LEASE_SECONDS": str(self.job_lease_seconds),
            "MAX_DOCUMENT_BYTES": str(m.producer_max_document_bytes),
            "INLINE_DOCUMENT_MAX_BYTES": str(m.producer_inline_document_max_bytes),
            "INLINE_RESULT_MAX_BYTES": str(m.consumer_inline_result_max_bytes),
            "BEDROCK_CONNECT_TIMEOUT_SECONDS": str(self.bedrock_connect_timeout_seconds),
            "BEDROCK_READ_TIMEOUT_SECONDS": str(self.bedrock_read_timeout_seconds),
            "BEDROCK_MAX_ATTEMPTS": str(m.consumer_bedrock_max_attempts),
            "RETRY_BASE_DELAY_SECONDS": str(self.retry_base_delay_seconds),
            "RETRY_MAX_DELAY_SECONDS": str(self.retry_max_delay_seconds),
            "RETRY_THROTTLED_BASE_DELAY_SECONDS": str(self.retry_throttled_base_delay_seconds),
        }

    def describe(self) -> dict[str, Any]:
        """Module value next to the value this run uses, for the report."""
        m = self.module
        q = self.queues
        return {
            "time_scale": self.time_scale,
            "function_timeouts_scaled": self.scales_functions,
            "variables_tf": m.source,
            "module": self.module_as_declared.as_dict(),
            "effective": {
                "queue_visibility_timeout_seconds": q.visibility_timeout,
                "dlq_visibility_timeout_seconds": q.dlq_visibility_timeout,
                "queue_max_receive_count": q.max_receive_count,
                "consumer_batch_size": m.consumer_batch_size,
                "consumer_maximum_batching_window_in_seconds": self.batching_window_seconds,
                "consumer_maximum_concurrency": m.consumer_maximum_concurrency,
                "consumer_timeout": m.consumer_timeout,
                "archiver_timeout": m.archiver_timeout,
                "producer_timeout": m.producer_timeout,
                "retry_base_delay_seconds": self.retry_base_delay_seconds,
                "retry_max_delay_seconds": self.retry_max_delay_seconds,
                "bedrock_read_timeout_seconds": self.bedrock_read_timeout_seconds,
                "bedrock_connect_timeout_seconds": self.bedrock_connect_timeout_seconds,
                "job_lease_seconds": self.job_lease_seconds,
                "consumer_mapping": asdict(self.consumer_mapping),
                "archiver_mapping": asdict(self.archiver_mapping),
            },
        }
