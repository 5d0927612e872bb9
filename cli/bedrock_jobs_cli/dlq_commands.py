"""``dlq list|show|redrive`` and ``archive list|show|replay``: the failures on-call handles."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .errors import CliError
from .job_commands import _table, duration, get_job, job_store
from .stack import Stack, load_stack

if TYPE_CHECKING:
    from .main import Cli

#: Error codes meaning the endpoint has no StartMessageMoveTask (an emulator, a partition without it);
#: botocore names an error it cannot parse (moto's HTML 500 "not implemented") by its HTTP status.
MOVE_TASK_UNSUPPORTED = frozenset(
    {
        "500",
        "501",
        "InvalidAction",
        "UnsupportedOperation",
        "NotImplemented",
        "UnknownOperationException",
        "InternalFailure",
    }
)
ARCHIVE_PREFIX = "failed/"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    dlq = subparsers.add_parser("dlq", parents=[common], help="the dead-letter queue")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("list", dlq_list, "messages waiting in the DLQ (peeked: they stay)"),
        ("show", dlq_show, "one DLQ message in full"),
        ("redrive", dlq_redrive, "move the DLQ's messages back to their queue"),
    ):
        parser = dlq_commands.add_parser(name, parents=[common], help=text)
        parser.add_argument("--batch", action="store_true", help="the batch queue's DLQ instead")
        parser.set_defaults(handler=handler)
        if name == "list":
            parser.add_argument("--limit", type=int, default=100)
        if name == "show":
            parser.add_argument("message_id")
        if name == "redrive":
            parser.add_argument("--rate", type=int, default=None, help="messages per second (1-500)")
            parser.add_argument("--dry-run", action="store_true", help="say what would move, move nothing")
            parser.add_argument(
                "--fallback",
                action="store_true",
                help="receive/send/delete instead of StartMessageMoveTask (used anyway where it is missing)",
            )

    archive = subparsers.add_parser("archive", parents=[common], help="archived failures (S3)")
    archive_commands = archive.add_subparsers(dest="archive_command", metavar="ACTION", required=True)
    listing = archive_commands.add_parser("list", parents=[common], help="archived failures, newest first")
    listing.add_argument("--since", type=duration, default=timedelta(days=1), help="e.g. 6h, 7d (default 1d)")
    listing.add_argument("--job", default=None, help="only this job's")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=archive_list)
    show = archive_commands.add_parser("show", parents=[common], help="one archived failure")
    show.add_argument("ref", metavar="KEY|MESSAGE_ID")
    show.add_argument("--since", type=duration, default=timedelta(days=14), help="where to look for an id")
    show.set_defaults(handler=archive_show)
    replay = archive_commands.add_parser(
        "replay", parents=[common], help="put a failed job back to pending and resend its original message"
    )
    replay.add_argument("ref", metavar="KEY|MESSAGE_ID")
    replay.add_argument("--since", type=duration, default=timedelta(days=14), help="where to look for an id")
    replay.add_argument("--dry-run", action="store_true")
    replay.set_defaults(handler=archive_replay)


# -- the DLQ -----------------------------------------------------------------------------------------
def _queues(stack: Stack, batch: bool) -> tuple[str, str]:
    """(DLQ URL, the queue its messages came from)."""
    if batch:
        return stack.require("batch_dlq_url"), stack.require("batch_queue_url")
    return stack.require("dlq_url"), stack.require("queue_url")


def _queue_arn(stack: Stack, url: str) -> str:
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def peek(stack: Stack, queue_url: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages, made visible again at once: listing takes nothing away."""
    sqs = stack.client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < limit:
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=30,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                seen.setdefault(message["MessageId"], message)
    finally:
        for message in seen.values():
            # A message received again since comes back by itself.
            with contextlib.suppress(ClientError):
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
    return list(seen.values())


def _summary(message: dict[str, Any]) -> dict[str, Any]:
    from bedrock_jobs.messages import job_id_hint

    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    return {
        "message_id": message["MessageId"],
        "job_id": job_id_hint(message.get("Body", "")),
        "sent_at": datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat() if sent else None,
        "receive_count": int(attributes.get("ApproximateReceiveCount", 0)),
        "bytes": len(message.get("Body", "").encode()),
    }


def dlq_list(args: argparse.Namespace, cli: Cli) -> int:
    stack = load_stack(args)
    dlq_url, _ = _queues(stack, args.batch)
    rows = [_summary(m) for m in peek(stack, dlq_url, args.limit)]
    cli.emit(rows, lambda data: _table(data, tuple(data[0])) if data else "the DLQ is empty")
    return 0


def dlq_show(args: argparse.Namespace, cli: Cli) -> int:
    stack = load_stack(args)
    dlq_url, _ = _queues(stack, args.batch)
    for message in peek(stack, dlq_url, 10_000):
        if message["MessageId"] == args.message_id:
            shown = {
                **_summary(message),
                "body": message.get("Body"),
                "attributes": message.get("Attributes"),
            }
            shown["message_attributes"] = message.get("MessageAttributes") or {}
            cli.emit(shown, lambda data: json.dumps(data, indent=2, ensure_ascii=False))
            return 0
    raise CliError(f"message {args.message_id} is not in the DLQ (or is being received right now)")


def dlq_redrive(args: argparse.Namespace, cli: Cli) -> int:
    if args.rate is not None and not 1 <= args.rate <= 500:
        raise CliError("--rate must be 1-500 messages per second (SQS's limit for a move task)")
    stack = load_stack(args)
    dlq_url, queue_url = _queues(stack, args.batch)
    depth = int(
        stack.client("sqs")
        .get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        .get("ApproximateNumberOfMessages", 0)
    )
    if args.dry_run:
        sample = [_summary(m) for m in peek(stack, dlq_url, 10)]
        cli.emit(
            {"dry_run": True, "messages": depth, "from": dlq_url, "to": queue_url, "sample": sample},
            f"would move about {depth} message(s) from {dlq_url} to {queue_url}; nothing moved",
        )
        return 0
    if not args.fallback:
        try:
            task = _start_move_task(stack, dlq_url, queue_url, args.rate)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in MOVE_TASK_UNSUPPORTED:
                raise CliError(f"StartMessageMoveTask failed: {exc}") from exc
        else:
            cli.emit(
                {"method": "StartMessageMoveTask", "task_handle": task, "messages": depth},
                f"move task started for about {depth} message(s): {task}\n"
                "(SQS moves them in the background; `bedrock-jobs watch` shows the DLQ draining)",
            )
            return 0
    moved = _move_by_hand(stack, dlq_url, queue_url, args.rate)
    cli.emit(
        {"method": "receive-send-delete", "moved": moved},
        f"moved {moved} message(s) from {dlq_url} to {queue_url} (receive, send, delete)",
    )
    return 0


def _start_move_task(stack: Stack, dlq_url: str, queue_url: str, rate: int | None) -> str:
    options: dict[str, Any] = {
        "SourceArn": _queue_arn(stack, dlq_url),
        "DestinationArn": _queue_arn(stack, queue_url),
    }
    if rate:
        options["MaxNumberOfMessagesPerSecond"] = rate
    return str(stack.client("sqs").start_message_move_task(**options)["TaskHandle"])


def _move_by_hand(stack: Stack, dlq_url: str, queue_url: str, rate: int | None) -> int:
    """Each message is sent to the queue before it is deleted from the DLQ: a failure in between leaves
    a copy in both (the job runs once: its record's lease and status decide), never in neither."""
    sqs = stack.client("sqs")
    fifo = queue_url.endswith(".fifo")
    moved = 0
    while True:
        started = time.monotonic()
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return moved
        entries = []
        for i, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            if fifo:
                attributes = message.get("Attributes", {})
                entry["MessageGroupId"] = attributes.get("MessageGroupId", "redrive")
                entry["MessageDeduplicationId"] = attributes.get(
                    "MessageDeduplicationId", message["MessageId"]
                )
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        done = [messages[int(s["Id"])] for s in sent.get("Successful", [])]
        if done:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        moved += len(done)
        if sent.get("Failed"):
            failure = sent["Failed"][0]
            raise CliError(f"moved {moved}; SendMessageBatch refused a message: {failure.get('Message')}")
        if rate:
            time.sleep(max(0.0, len(done) / rate - (time.monotonic() - started)))


# -- the archive -------------------------------------------------------------------------------------
def _archive_bucket(stack: Stack) -> str:
    # The module's archive bucket, or the payload bucket's failed/ prefix when it has none.
    return str(stack.get("archive_bucket_name") or stack.require("payload_bucket_name"))


def _archived_keys(stack: Stack, since: timedelta) -> Iterator[dict[str, Any]]:
    """Newest day first: ``failed/YYYY/MM/DD/<message id>.json``."""
    s3, bucket = stack.client("s3"), _archive_bucket(stack)
    day, first = datetime.now(UTC).date(), (datetime.now(UTC) - since).date()
    while day >= first:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{ARCHIVE_PREFIX}{day:%Y/%m/%d}/"
        )
        entries = [e for page in pages for e in page.get("Contents", [])]
        yield from sorted(entries, key=lambda e: e["LastModified"], reverse=True)
        day -= timedelta(days=1)


def read_archived(stack: Stack, key: str) -> dict[str, Any]:
    try:
        body = stack.client("s3").get_object(Bucket=_archive_bucket(stack), Key=key)["Body"].read()
        return {"key": key, **json.loads(body)}
    except ClientError as exc:
        raise CliError(f"cannot read s3://{_archive_bucket(stack)}/{key}: {exc}") from exc
    except ValueError as exc:
        raise CliError(f"s3://{_archive_bucket(stack)}/{key} is not an archived failure: {exc}") from exc


def _find(stack: Stack, ref: str, since: timedelta) -> dict[str, Any]:
    if "/" in ref:
        return read_archived(stack, ref.removeprefix(f"s3://{_archive_bucket(stack)}/"))
    for entry in _archived_keys(stack, since):
        if entry["Key"].endswith(f"/{ref}.json"):
            return read_archived(stack, entry["Key"])
    raise CliError(f"no archived failure {ref!r} in the last {since} (pass its key, or --since)")


def archive_list(args: argparse.Namespace, cli: Cli) -> int:
    stack = load_stack(args)
    rows = []
    for entry in _archived_keys(stack, args.since):
        archived = read_archived(stack, entry["Key"])
        if args.job and archived.get("job_id") != args.job:
            continue
        rows.append({k: archived.get(k) for k in ("key", "job_id", "archived_at", "archived_by", "reason")})
        if len(rows) >= args.limit:
            break
    cli.emit(rows, lambda data: _table(data, tuple(data[0])) if data else "no archived failures")
    return 0


def archive_show(args: argparse.Namespace, cli: Cli) -> int:
    archived = _find(load_stack(args), args.ref, args.since)
    cli.emit(archived, lambda data: json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def sqs_message_attributes(lambda_attributes: dict[str, Any]) -> dict[str, Any]:
    """A Lambda SQS record's ``messageAttributes`` in SendMessage's shape."""
    converted: dict[str, Any] = {}
    for name, value in (lambda_attributes or {}).items():
        data_type = value.get("dataType") or value.get("DataType") or "String"
        if value.get("binaryValue") is not None:
            converted[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(value["binaryValue"])}
        elif value.get("stringValue") is not None:
            converted[name] = {"DataType": data_type, "StringValue": value["stringValue"]}
    return converted


def archive_replay(args: argparse.Namespace, cli: Cli) -> int:
    from bedrock_jobs.messages import job_id_hint

    stack = load_stack(args)
    archived = _find(stack, args.ref, args.since)
    body = archived.get("body")
    if not isinstance(body, str) or not body:
        raise CliError(f"{archived['key']} holds no message body to replay")
    job_id = archived.get("job_id") or job_id_hint(body)
    status = None
    if job_id:
        try:
            status = get_job(stack, job_id).get("status")
        except CliError:
            status = None  # no record: the consumer's claim creates it
    if status == "complete":
        raise CliError(f"job {job_id} is complete: not replayed (its result stays)")
    if status in ("pending", "processing"):
        raise CliError(f"job {job_id} is {status}: it is already on its way; not replayed")
    plan = {"key": archived["key"], "job_id": job_id, "job_status": status, "to": stack.require("queue_url")}
    if args.dry_run:
        cli.emit({**plan, "dry_run": True}, f"would put job {job_id} back to pending and resend its message")
        return 0
    reason = f"replayed from {archived['key']}"
    if job_id and status == "failed" and not job_store(stack).reopen_failed(job_id, reason):
        raise CliError(f"job {job_id} changed while replaying; look again with `bedrock-jobs status`")
    options: dict[str, Any] = {"QueueUrl": stack.require("queue_url"), "MessageBody": body}
    attributes = sqs_message_attributes(archived.get("message_attributes") or {})
    if attributes:
        options["MessageAttributes"] = attributes
    if options["QueueUrl"].endswith(".fifo"):
        options["MessageGroupId"] = str((archived.get("attributes") or {}).get("MessageGroupId") or job_id)
        options["MessageDeduplicationId"] = f"replay-{archived.get('message_id')}-{int(time.time())}"
    message_id = stack.client("sqs").send_message(**options)["MessageId"]
    cli.emit({**plan, "message_id": message_id}, f"job {job_id} is pending again; message {message_id} sent")
    return 0
