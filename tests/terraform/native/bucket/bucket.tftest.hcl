# Plan-level behaviour of modules/bucket: encrypted, private, TLS-only, versioned, with lifecycle
# housekeeping.

mock_provider "aws" {
  # A real partition name (mocks are random strings): ARNs and the Powertools layer's publisher
  # account are derived from it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

override_resource {
  target          = aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "jobs-123456789012-eu-west-1-payload"
    arn = "arn:aws:s3:::jobs-123456789012-eu-west-1-payload"
  }
}

variables {
  bucket = "jobs-123456789012-eu-west-1-payload"
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "jobs-123456789012-eu-west-1-payload" && aws_s3_bucket.this.force_destroy == false
    error_message = "The bucket keeps its objects on destroy by default."
  }
  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "All four public access block settings must be true."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.this.bucket == "jobs-123456789012-eu-west-1-payload" && aws_s3_bucket_server_side_encryption_configuration.this.bucket == "jobs-123456789012-eu-west-1-payload" && aws_s3_bucket_policy.this.bucket == "jobs-123456789012-eu-west-1-payload"
    error_message = "Access block, encryption and policy apply to this bucket."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "Objects are encrypted with SSE-KMS."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled == true
    error_message = "An S3 Bucket Key keeps KMS request costs down."
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled (BucketOwnerEnforced)."
  }
  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "Versioning is on by default."
  }
  assert {
    condition     = length(data.aws_iam_policy_document.this.statement) == 1
    error_message = "The bucket policy holds the TLS-only statement."
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement : (
      s.effect == "Deny" && contains(s.actions, "s3:*") &&
      s.resources == toset(["arn:aws:s3:::jobs-123456789012-eu-west-1-payload", "arn:aws:s3:::jobs-123456789012-eu-west-1-payload/*"]) &&
      anytrue([for p in s.principals : p.type == "*" && contains(p.identifiers, "*")]) &&
      anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && contains(c.values, "false") && length(c.values) == 1])
    )])
    error_message = "The bucket policy must deny every request without TLS on the bucket and its objects."
  }
  assert {
    condition     = length(aws_s3_bucket_notification.this) == 0
    error_message = "No event notifications unless asked for."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[0].id == "housekeeping" && aws_s3_bucket_lifecycle_configuration.this.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 7 && aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration[0].noncurrent_days == 30
    error_message = "Housekeeping aborts stale multipart uploads after 7 days and expires noncurrent versions after 30."
  }
}

run "customer_managed_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The given key encrypts the bucket."
  }
}

run "lifecycle_rules_and_notifications" {
  command = plan

  variables {
    eventbridge_notifications_enabled = true
    lifecycle_rules = [
      { id = "documents", prefix = "documents/", expiration_days = 30 },
      { id = "failed", prefix = "failed/", transition_days = 30, transition_storage_class = "STANDARD_IA", expiration_days = 365 },
    ]
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this.rule) == 3
    error_message = "Housekeeping plus one rule per lifecycle_rules entry."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[2].filter[0].prefix == "failed/" && aws_s3_bucket_lifecycle_configuration.this.rule[2].expiration[0].days == 365
    error_message = "Per-prefix rules keep their prefix and expiration."
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule[2].transition).storage_class == "STANDARD_IA" && one(aws_s3_bucket_lifecycle_configuration.this.rule[2].transition).days == 30
    error_message = "Per-prefix rules keep their transition."
  }
  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this.rule[1].transition) == 0
    error_message = "No transition without transition_days."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].eventbridge == true
    error_message = "EventBridge notifications when enabled."
  }
}
