################################################################################
# Jobs table
################################################################################

locals {
  jobs_table_name = coalesce(var.jobs_table_name, "${var.name}-jobs")
  # The sparse index of failed jobs (storage.tf); the job store writes its keys (FAILED_INDEX).
  jobs_failed_index_name = "failed-by-day"

  # Bucket names are global: make them unique per account and region, readable when they fit in 63
  # characters, hashed otherwise.
  bucket_base   = "${var.name}-${local.account_id}-${local.region}"
  bucket_hashed = "${var.name}-${substr(sha256("${local.account_id}/${local.region}"), 0, 10)}"
  bucket_names = {
    for role in ["payload", "archive", "inbox"] : role => (
      length("${local.bucket_base}-${role}") <= 63 ? "${local.bucket_base}-${role}" : "${local.bucket_hashed}-${role}"
    )
  }

  payload_bucket_name = coalesce(var.payload_bucket_name, local.bucket_names.payload)
  archive_bucket_name = coalesce(var.archive_bucket_name, local.bucket_names.archive)

  # Object layout (docs/internal-contract.md): documents/<job_id>, results/<job_id>.txt and the Lambda
  # package packages/<name>-functions-<version>.zip in the payload bucket; failed/YYYY/MM/DD/<messageId>.json in the archive bucket (the payload bucket by default).
  documents_prefix = "documents/"
  results_prefix   = "results/"
  packages_prefix  = "packages/"
  failed_prefix    = "failed/"

  failed_lifecycle_rules = var.archive_failed_transition_days == null && var.archive_failed_expiration_days == null ? [] : [
    {
      id                       = "archived-failures"
      prefix                   = local.failed_prefix
      transition_days          = var.archive_failed_transition_days
      transition_storage_class = var.archive_failed_transition_storage_class
      expiration_days          = var.archive_failed_expiration_days
    },
  ]

  payload_bucket_arn = module.payload_bucket.bucket_arn
  archive_bucket_id  = var.archive_bucket_enabled ? module.archive_bucket[0].bucket_id : module.payload_bucket.bucket_id
  archive_bucket_arn = var.archive_bucket_enabled ? module.archive_bucket[0].bucket_arn : module.payload_bucket.bucket_arn
}

resource "aws_dynamodb_table" "jobs" {
  # checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed key by default; set kms_key_arn for a customer managed key.
  name         = local.jobs_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "job_id"

  attribute {
    name = "job_id"
    type = "S"
  }

  attribute {
    name = "failed_day"
    type = "S"
  }

  attribute {
    name = "failed_at"
    type = "S"
  }

  # Failed jobs by day, newest first (`bedrock-jobs jobs --status failed --since 1h`). Sparse: only a
  # failed job carries failed_day, so the index holds the failures and nothing else, and a replayed job
  # leaves it. Keyed by day rather than by status, so no partition takes every job's writes.
  global_secondary_index {
    name               = local.jobs_failed_index_name
    hash_key           = "failed_day"
    range_key          = "failed_at"
    projection_type    = "INCLUDE"
    non_key_attributes = ["status", "task", "mode", "error", "archive_uri", "attempts"]
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  deletion_protection_enabled = var.jobs_table_deletion_protection_enabled

  tags = var.tags
}

################################################################################
# Payload bucket (documents/, results/ and, by default, failed/)
################################################################################

module "payload_bucket" {
  source = "./modules/bucket"

  bucket        = local.payload_bucket_name
  force_destroy = var.bucket_force_destroy
  kms_key_arn   = var.kms_key_arn

  noncurrent_version_expiration_days = var.bucket_noncurrent_version_expiration_days

  lifecycle_rules = concat(
    [
      {
        id                       = "documents"
        prefix                   = local.documents_prefix
        transition_days          = null
        transition_storage_class = "STANDARD_IA"
        expiration_days          = var.payload_documents_expiration_days
      },
      {
        id                       = "results"
        prefix                   = local.results_prefix
        transition_days          = null
        transition_storage_class = "STANDARD_IA"
        expiration_days          = var.payload_results_expiration_days
      },
    ],
    var.archive_bucket_enabled ? [] : local.failed_lifecycle_rules,
  )

  tags = var.tags
}

################################################################################
# Archive bucket (optional; failed/ lives in the payload bucket otherwise)
################################################################################

module "archive_bucket" {
  source = "./modules/bucket"
  count  = var.archive_bucket_enabled ? 1 : 0

  bucket        = local.archive_bucket_name
  force_destroy = var.bucket_force_destroy
  kms_key_arn   = var.kms_key_arn

  noncurrent_version_expiration_days = var.bucket_noncurrent_version_expiration_days
  lifecycle_rules                    = local.failed_lifecycle_rules

  tags = var.tags
}
