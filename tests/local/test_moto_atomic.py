"""The embedded AWS's fixes to moto's concurrency: SQS sends and deletes on one queue serialise, as in SQS.

The chaos run lost a job to this race (accepted, confirmed by SQS, never delivered): moto's delete builds
a new message list and then replaces the queue's list with it, so a message appended in between is
dropped. The test makes a send happen exactly there.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from bedrock_jobs_local.moto_atomic import make_sqs_deletes_atomic
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

REGION = "us-east-1"
QUEUE = "send-during-delete"


def test_a_message_sent_while_another_is_deleted_is_not_lost():
    make_sqs_deletes_atomic()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="first")
        handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
        backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
        queue = backend.queues[QUEUE]
        sender = threading.Thread(target=backend.send_message, args=(QUEUE, "second"))
        replaced: list[int] = []

        class SendWhileTheListIsReplaced(type(queue)):  # type: ignore[misc]
            @property
            def _messages(self) -> Any:
                return self.__dict__["_messages"]

            @_messages.setter
            def _messages(self, messages: Any) -> None:
                if replaced == [] and not sender.is_alive():
                    sender.start()
                    # Unprotected, the send appends to the old list now and is dropped with it; under
                    # the lock it waits until the delete is done (and this wait simply runs out).
                    sender.join(timeout=0.5)
                replaced.append(len(messages))
                self.__dict__["_messages"] = messages

        queue.__class__ = SendWhileTheListIsReplaced
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        sender.join()

        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url).get("Messages", [])]
        assert replaced and bodies == ["second"]
