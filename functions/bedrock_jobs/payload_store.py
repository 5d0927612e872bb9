"""Documents and results too large to travel inline, kept in the payload bucket."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.errors import PermanentJobError, RetryableJobError
from bedrock_jobs.messages import parse_s3_uri

DOCUMENTS_PREFIX = "documents/"
RESULTS_PREFIX = "results/"
_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchBucket"}
_DENIED = {"AccessDenied", "403", "AllAccessDisabled", "KMS.AccessDeniedException"}


class PayloadStore:
    def __init__(self, bucket: str | None, s3: Any | None = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        return self._s3 or aws_clients.client("s3")

    def _uri(self, key: str) -> str:
        if not self.bucket:
            raise RetryableJobError("PAYLOAD_BUCKET is not configured; cannot store a large payload")
        return f"s3://{self.bucket}/{key}"

    def _put(self, key: str, text: str, content_type: str) -> str:
        uri = self._uri(key)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
        return uri

    def document_uri(self, job_id: str) -> str:
        """Where ``put_document`` stores a job's document (known before the upload happens)."""
        return self._uri(f"{DOCUMENTS_PREFIX}{job_id}")

    def put_document(self, job_id: str, document: str) -> str:
        return self._put(f"{DOCUMENTS_PREFIX}{job_id}", document, "text/plain; charset=utf-8")

    def put_result(self, job_id: str, result: str) -> str:
        return self._put(f"{RESULTS_PREFIX}{job_id}.txt", result, "text/plain; charset=utf-8")

    # -- model answers, saved before anything else can fail -------------------------------------
    def model_answer_key(self, job_id: str) -> str:
        return f"{RESULTS_PREFIX}{job_id}.model-answer.json"

    def save_model_answer(self, job_id: str, answer: dict[str, Any]) -> str:
        """Keep the model's answer under the job, so no later failure can make it be asked again."""
        key = self.model_answer_key(job_id)
        return self._put(key, json.dumps(answer, ensure_ascii=False), "application/json")

    def saved_model_answer(self, job_id: str) -> dict[str, Any] | None:
        """The answer an earlier delivery saved, or ``None``. Unsure (S3 error) is not "none": it raises,
        because calling the model while an answer may exist could make a second successful call."""
        if not self.bucket:
            return None
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.model_answer_key(job_id))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in _MISSING:
                return None
            code = exc.response.get("Error", {}).get("Code", "")
            raise RetryableJobError(f"S3 error reading the saved model answer ({code})") from exc
        answer = json.loads(response["Body"].read())
        return answer if isinstance(answer, dict) else None

    def delete(self, uri: str) -> None:
        bucket, key = parse_s3_uri(uri)
        self.s3.delete_object(Bucket=bucket, Key=key)

    def read_text(self, uri: str, max_bytes: int | None = None) -> str:
        """Read a document; a missing or unreadable object can never succeed, so it is permanent."""
        bucket, key = parse_s3_uri(uri)
        try:
            response = self.s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _MISSING:
                raise PermanentJobError(f"document not found: {uri}") from exc
            if code in _DENIED:
                raise PermanentJobError(f"access denied reading document {uri}") from exc
            raise RetryableJobError(f"S3 error reading document ({code})") from exc
        if max_bytes is not None and response.get("ContentLength", 0) > max_bytes:
            raise PermanentJobError(
                f"document {uri} is {response['ContentLength']} bytes; the limit is {max_bytes}",
                kind="too_large",
            )
        # ContentLength is checked first; reading one byte past the limit guards a body that is longer.
        raw = response["Body"].read(max_bytes + 1) if max_bytes is not None else response["Body"].read()
        if max_bytes is not None and len(raw) > max_bytes:
            response["Body"].close()
            raise PermanentJobError(
                f"document {uri} is larger than the limit of {max_bytes} bytes", kind="too_large"
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PermanentJobError(f"document {uri} is not UTF-8 text") from exc

    def presigned_url(self, uri: str, expires_in: int = 900) -> str:
        bucket, key = parse_s3_uri(uri)
        return self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
