"""Exception types that decide what happens to a job and its message."""

from __future__ import annotations


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid (a deployment problem, not a job problem)."""


class JobError(Exception):
    """Base class: ``reason`` is short, safe to store on the job and to page with (no document text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentJobError(JobError):
    """The job can never succeed: fail it, archive its message, do not retry."""


class RetryableJobError(JobError):
    """The job may succeed later: report the record as a batch item failure and back off."""

    # Seconds before the message should be visible again; ``None`` means "use exponential backoff".
    retry_after_seconds: int | None = None


class JobInProgressError(RetryableJobError):
    """Another invocation holds the job's lease (concurrent duplicate delivery)."""


class DeadlineExceededError(RetryableJobError):
    """Not enough invocation time left to finish the record safely; hand it back at once."""

    retry_after_seconds = 0


class InvalidJobRequest(ValueError):
    """A submission that is rejected before anything is stored or enqueued."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
