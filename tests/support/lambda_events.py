"""Lambda-shaped SQS events built from messages really received from (moto's) SQS, and a Lambda context.

Both come from the local runner (``bedrock_jobs_local``), whose event shape is itself tested against
Powertools' SQS model and the documented event source mapping behaviour.
"""

from __future__ import annotations

from bedrock_jobs_local.event_source_mapping import receive_event, to_lambda_record
from bedrock_jobs_local.lambda_context import LambdaContext

__all__ = ["FakeLambdaContext", "receive_event", "to_lambda_record"]


def FakeLambdaContext(
    timeout_seconds: float = 50.0, function_name: str = "bedrock-jobs-consumer"
) -> LambdaContext:
    """A context whose remaining time counts down from ``timeout_seconds`` in real time."""
    return LambdaContext(function_name=function_name, timeout_seconds=timeout_seconds, memory_limit_in_mb=512)
