"""bedrock-jobs Lambda package: producer, Bedrock consumer and DLQ archiver.

Nothing here touches AWS or reads the environment at import time; configuration and clients are
created when a handler first runs and cached for the life of the container.
"""

__version__ = "0.1.0"


def reset_caches() -> None:
    """Forget cached settings and AWS clients (tests and the local runner change the environment)."""
    from bedrock_jobs import aws_clients, batch, config

    config.get_settings.cache_clear()
    aws_clients.clear()
    batch.forget_queue_urls()
