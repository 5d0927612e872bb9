"""The bare-boto3 reference: the consumer's minimal AWS calls per job, with nothing else around them.

Per job: claim (conditional UpdateItem), Converse, complete (conditional UpdateItem), SNS Publish — the
calls the consumer makes on the happy path, against the same embedded AWS and fake model. No logging,
metrics, validation, leases or retries of our own: what is left is the cost of the SDK and the emulator,
which is what a batch of the real consumer cannot go below.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config

from bench.harness import MODEL_ID


class BareConsumer:
    def __init__(self, environment: dict[str, str]) -> None:
        session = boto3.session.Session()
        config = Config(max_pool_connections=50)
        self.dynamodb = session.client("dynamodb", config=config)
        self.sns = session.client("sns", config=config)
        self.bedrock = session.client("bedrock-runtime", config=config)
        self.table = environment["JOBS_TABLE"]
        self.topic = environment["RESULTS_TOPIC_ARN"]

    def process(self, record: dict[str, Any]) -> None:
        message = json.loads(record["body"])
        job_id, token = message["job_id"], uuid.uuid4().hex
        key = {"job_id": {"S": job_id}}
        self.dynamodb.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="SET #s = :processing, claim_token = :token, lease_expires_at = :lease",
            ConditionExpression="attribute_not_exists(job_id) OR #s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":processing": {"S": "processing"},
                ":pending": {"S": "pending"},
                ":token": {"S": token},
                ":lease": {"N": str(int(time.time()) + 900)},
            },
            ReturnValues="ALL_NEW",
        )
        response = self.bedrock.converse(
            modelId=MODEL_ID,
            messages=[{"role": "user", "content": [{"text": message["document"]}]}],
            requestMetadata={"job_id": job_id, "task": message["task"]},
        )
        text = response["output"]["message"]["content"][0]["text"]
        self.dynamodb.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="SET #s = :complete, #r = :result REMOVE claim_token, lease_expires_at",
            ConditionExpression="claim_token = :token",
            ExpressionAttributeNames={"#s": "status", "#r": "result"},
            ExpressionAttributeValues={
                ":complete": {"S": "complete"},
                ":result": {"S": text},
                ":token": {"S": token},
            },
        )
        self.sns.publish(TopicArn=self.topic, Message=json.dumps({"job_id": job_id, "status": "complete"}))

    def handle(self, event: dict[str, Any], concurrency: int) -> None:
        records = event["Records"]
        if concurrency <= 1:
            for record in records:
                self.process(record)
            return
        with ThreadPoolExecutor(max_workers=min(concurrency, len(records))) as pool:
            list(pool.map(self.process, records))
