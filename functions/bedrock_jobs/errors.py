"""Exception types that decide what happens to a job and its message."""

from __future__ import annotations

import math


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid (a deployment problem, not a job problem)."""


class JobError(Exception):
    """Base class: ``reason`` is short, safe to store on the job and to page with (no document text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentJobError(JobError):
    """The job can never succeed: fail it, archive its message, do not retry.

    Every permanent failure is caused by the job's input (deployment problems are ``SystemicError``):
    the job fails and is counted by ``kind`` in ``JobsFailedOnInput``, and nobody is paged per job.
    """

    def __init__(self, reason: str, kind: str = "other") -> None:
        super().__init__(reason)
        self.kind = kind


class RetryableJobError(JobError):
    """The job may succeed later: report the record as a batch item failure and back off."""

    # Seconds before the message should be visible again; ``None`` means "use exponential backoff".
    retry_after_seconds: int | None = None


class ModelThrottledError(RetryableJobError):
    """Bedrock is out of capacity for this account (throttling, quota) after botocore's own retries.

    Capacity comes back in minutes, not seconds: these retries use the longer throttle backoff so that
    a storm of several minutes does not use up a message's receives (see the README's arithmetic).
    """


class SystemicError(RetryableJobError):
    """A deployment problem, not a job problem (access denied, missing model or resource, bad credentials).

    Every job would fail the same way until someone fixes the deployment: the job is not failed, its
    message waits the longest backoff, and one CloudWatch alarm on ``SystemicErrors`` pages instead of
    one page per job.
    """


class JobInProgressError(RetryableJobError):
    """Another invocation holds the job's lease: a concurrent duplicate delivery, or a crashed holder.

    Either way nothing can change before the lease ends, so the message comes back just after it
    (``lease_seconds_left`` plus a margin); an earlier retry would only use up one of its receives.
    """

    # Past the lease's end, so the next delivery finds it expired even with a little clock skew.
    LEASE_END_MARGIN_SECONDS = 5
    _MAX_VISIBILITY_SECONDS = 43_200

    def __init__(self, reason: str, lease_seconds_left: float | None = None) -> None:
        super().__init__(reason)
        if lease_seconds_left is not None:
            self.retry_after_seconds = min(
                self._MAX_VISIBILITY_SECONDS, math.ceil(lease_seconds_left) + self.LEASE_END_MARGIN_SECONDS
            )


class DeadlineExceededError(RetryableJobError):
    """Not enough invocation time left to finish the record safely; hand it back at once."""

    retry_after_seconds = 0

    def __init__(self, reason: str, *, claimed: bool = False) -> None:
        super().__init__(reason)
        # Whether the job had been claimed when time ran out (the model was not called either way).
        self.claimed = claimed


class InvalidJobRequest(ValueError):
    """A submission that is rejected before anything is stored or enqueued."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
