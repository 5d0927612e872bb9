################################################################################
# Batch mode: batch queue -> batch_submitter (scheduled) -> Bedrock batch inference job
#             -> batch_collector (state-change rule + poll schedule) -> jobs table, results
# Nothing here exists unless batch_enabled.
################################################################################

locals {
  batch_count = var.batch_enabled ? 1 : 0

  batch_function_names = {
    submitter = "${var.name}-batch-submitter"
    collector = "${var.name}-batch-collector"
  }

  # Layout of the batch bucket (the payload bucket): JSONL input files the submitter writes, and the
  # output Bedrock writes under <output s3Uri>/<job id>/.
  batch_input_prefix  = "batch-input/"
  batch_output_prefix = "batch-output/"
  batch_bucket_id     = module.payload_bucket.bucket_id
  batch_bucket_arn    = module.payload_bucket.bucket_arn

  # IAM names are account-wide: the region keeps instances in several regions apart, and a hash keeps
  # long names within IAM's 64 characters, ending in the region still (as modules/sqs-function does).
  batch_role_name_prefixes = {
    bedrock = "${var.name}-batch-bedrock"
    submit  = "${var.name}-submit-sched"
    collect = "${var.name}-collect-sched"
  }
  batch_role_names = {
    for role, prefix in local.batch_role_name_prefixes : role => (
      role == "bedrock" && var.batch_role_name != null ? var.batch_role_name : local.regional_role_name[prefix]
    )
  }
  regional_role_name = {
    for prefix in concat(values(local.batch_role_name_prefixes), ["${var.name}-schedules"]) : prefix => (
      length("${prefix}-${local.region}") <= 64 ? "${prefix}-${local.region}" : format(
        "%s-%s-%s", substr(prefix, 0, 64 - length(local.region) - 10), substr(sha256("${prefix}-${local.region}"), 0, 8), local.region,
      )
    )
  }

  # The batch inference jobs of this account and region: what the service role trusts, and what the
  # functions may read.
  batch_job_arn_pattern = "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:model-invocation-job/*"

  # The models a batch job may name: the ones the consumer may invoke directly (models, inference
  # profiles), and the foundation model behind each profile in this region only. The consumer's grants
  # on the model in the other regions a profile routes to hold only through that profile (the
  # bedrock:InferenceProfileArn condition); a batch job is created and authorised here, and Bedrock
  # routes its records itself, so those grants are not repeated without their condition.
  batch_model_arns = distinct(concat(
    one([for statement in local.bedrock_statements : statement.resources if statement.sid == "InvokeModels"]),
    [for arn in sort(keys(local.inference_profiles)) : "arn:${local.partition}:bedrock:${local.region}::foundation-model/${local.inference_profiles[arn].model}"],
  ))

  batch_environment = var.batch_enabled ? merge(
    local.powertools_environment,
    {
      QUEUE_URL                     = module.queue.queue_url
      BATCH_QUEUE_URL               = module.batch_queue[0].queue_url
      BATCH_ROLE_ARN                = aws_iam_role.batch_bedrock[0].arn
      BATCH_BUCKET                  = local.batch_bucket_id
      BATCH_MIN_RECORDS             = tostring(var.batch_min_records)
      BATCH_MAX_RECORDS             = tostring(var.batch_max_records)
      BATCH_MAX_WAIT_HOURS          = tostring(var.batch_max_wait_hours)
      BATCH_TIMEOUT_HOURS           = tostring(var.batch_timeout_hours)
      BATCH_MAX_JOBS_IN_FLIGHT      = tostring(var.batch_max_jobs_in_flight)
      QUEUE_MAX_MESSAGE_BYTES       = tostring(var.queue_max_message_size)
      FIFO_DEFAULT_MESSAGE_GROUP_ID = var.producer_fifo_default_message_group_id
    },
    # The consumer's rules: the collector completes jobs as the consumer does, and the submitter refuses
    # what the consumer would refuse and keeps guarded tasks out of batch jobs.
    local.job_processing_environment,
  ) : {}

  batch_kms_statements = length(local.data_kms_key_arns) > 0 ? [
    {
      sid        = "UseKmsKeys"
      actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources  = local.data_kms_key_arns
      conditions = []
    },
  ] : []

  # Both functions follow the jobs' batch inference jobs, and read the batch files with "missing" as a
  # normal answer: S3 answers 404 for a missing key only to a principal allowed s3:ListBucket on the
  # bucket, and 403 otherwise (S3 API reference, GetObject/HeadObject "Permissions"). That check
  # carries no s3:prefix, so the grant cannot be narrowed to the batch prefixes by a condition.
  batch_job_read_statements = [
    {
      sid        = "ListBatchBucket"
      actions    = ["s3:ListBucket"]
      resources  = [local.batch_bucket_arn]
      conditions = []
    },
    {
      sid        = "ReadBatchJobs"
      actions    = ["bedrock:GetModelInvocationJob"]
      resources  = [local.batch_job_arn_pattern]
      conditions = []
    },
    {
      # ListModelInvocationJobs supports no resource-level permissions (Service Authorization
      # Reference, Amazon Bedrock): '*' is the only resource it accepts.
      sid        = "ListBatchJobs"
      actions    = ["bedrock:ListModelInvocationJobs"]
      resources  = ["*"]
      conditions = []
    },
  ]
}

################################################################################
# Batch queue
################################################################################

# Jobs wait here for the submitter. A queue pair of its own (modules/queue), encrypted like the main
# queue and FIFO when the main queue is (the producer sends to both the same way). The submitter reads
# waiting messages on every run without deleting them until they are submitted or fall back to the
# realtime queue, so each run adds one receive: maxReceiveCount is the SQS maximum (1000), far above the
# runs in batch_max_wait_hours. The DLQ only catches messages the submitter fails on that often; the
# batch-dlq-not-empty alarm pages for them (nothing consumes that DLQ automatically: redrive it to the
# main queue with `aws sqs start-message-move-task`, docs/runbook.md).
module "batch_queue" {
  source = "./modules/queue"
  count  = local.batch_count

  name = "${var.name}-batch"

  fifo_queue                  = var.queue_fifo
  content_based_deduplication = local.batch_queue_content_based_deduplication
  high_throughput_fifo        = var.queue_high_throughput_fifo

  message_retention_seconds = var.batch_queue_message_retention_seconds
  receive_wait_time_seconds = var.queue_receive_wait_time_seconds
  max_message_size          = var.queue_max_message_size

  # The submitter holds the messages it read while it writes the input file.
  consumer_timeout_seconds = var.batch_submitter_timeout
  max_receive_count        = 1000

  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.queue_kms_data_key_reuse_period_seconds

  dlq_message_retention_seconds = var.batch_queue_message_retention_seconds
  dlq_receive_wait_time_seconds = var.queue_receive_wait_time_seconds

  allowed_eventbridge_rule_arns = local.batch_rule_arns

  tags = var.tags
}

################################################################################
# Bedrock service role (assumed by Bedrock to run the batch inference jobs)
################################################################################

# Trust limited to Bedrock acting for this account's batch inference jobs in this region (confused
# deputy protection; Bedrock User Guide, "Create a custom service role for batch inference").
data "aws_iam_policy_document" "batch_bedrock_assume_role" {
  count = local.batch_count

  statement {
    sid     = "BedrockBatchInferenceAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["bedrock.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.batch_job_arn_pattern]
    }
  }
}

resource "aws_iam_role" "batch_bedrock" {
  count = local.batch_count

  name                 = local.batch_role_names.bedrock
  description          = "Assumed by Amazon Bedrock to run the ${var.name} batch inference jobs"
  assume_role_policy   = data.aws_iam_policy_document.batch_bedrock_assume_role[0].json
  permissions_boundary = var.lambda_role_permissions_boundary

  tags = var.tags
}

data "aws_iam_policy_document" "batch_bedrock" {
  count = local.batch_count

  statement {
    sid       = "ReadBatchInput"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.batch_bucket_arn}/${local.batch_input_prefix}*"]
  }

  statement {
    sid       = "ListBatchInput"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.batch_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.batch_input_prefix}*"]
    }
  }

  statement {
    sid       = "WriteBatchOutput"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${local.batch_bucket_arn}/${local.batch_output_prefix}*"]
  }

  # The same models the consumer may invoke, with the same inference-profile conditions.
  dynamic "statement" {
    for_each = [for s in local.bedrock_statements : s if contains(s.actions, "bedrock:InvokeModel")]

    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.data_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "UseBucketKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = local.data_kms_key_arns
    }
  }
}

resource "aws_iam_role_policy" "batch_bedrock" {
  count = local.batch_count

  name   = "${var.name}-batch-bedrock"
  role   = aws_iam_role.batch_bedrock[0].id
  policy = data.aws_iam_policy_document.batch_bedrock[0].json
}

################################################################################
# Batch submitter: batch queue -> batch-input/*.jsonl -> CreateModelInvocationJob
################################################################################

module "batch_submitter" {
  source = "./modules/sqs-function"
  count  = local.batch_count

  function_name        = local.batch_function_names.submitter
  role_use_name_prefix = local.function_defaults.role_use_name_prefix
  description          = "bedrock-jobs batch submitter: turns waiting batch jobs into Bedrock batch inference jobs"
  handler              = "bedrock_jobs.batch_submitter.handler"
  memory_size          = var.batch_submitter_memory_size
  timeout              = var.batch_submitter_timeout

  runtime                   = local.function_defaults.runtime
  architectures             = local.function_defaults.architectures
  log_retention_in_days     = local.function_defaults.log_retention_in_days
  kms_key_arn               = local.function_defaults.kms_key_arn
  powertools_layer_version  = local.function_defaults.powertools_layer_version
  powertools_layer_arn      = local.function_defaults.powertools_layer_arn
  role_permissions_boundary = local.function_defaults.role_permissions_boundary
  application_log_level     = local.application_log_level

  s3_bucket        = aws_s3_object.package.bucket
  s3_key           = aws_s3_object.package.key
  source_code_hash = local.package_source_code_hash

  # One run at a time: two submitters would put the same waiting jobs into two batch jobs.
  reserved_concurrent_executions = 1

  environment_variables = local.batch_environment

  # Invoked by its schedule, not by an event source mapping: it reads the batch queue itself.
  create_event_source_mapping = false

  policy_statements = concat(
    [
      {
        sid        = "ReadBatchQueue"
        actions    = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        resources  = [module.batch_queue[0].queue_arn]
        conditions = []
      },
      {
        # Jobs that waited longer than batch_max_wait_hours run in realtime after all.
        sid        = "FallBackToRealtime"
        actions    = ["sqs:SendMessage"]
        resources  = [module.queue.queue_arn]
        conditions = []
      },
      {
        sid        = "JobsTable"
        actions    = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
        resources  = [aws_dynamodb_table.jobs.arn]
        conditions = []
      },
      {
        # Documents offloaded by the producer (documents/) go into the input records.
        sid        = "ReadDocuments"
        actions    = ["s3:GetObject"]
        resources  = ["${local.payload_bucket_arn}/${local.documents_prefix}*"]
        conditions = []
      },
      {
        # Input files and the submission manifest (batch-input/<token>/), read back on retries.
        sid        = "WriteBatchInput"
        actions    = ["s3:PutObject", "s3:GetObject"]
        resources  = ["${local.batch_bucket_arn}/${local.batch_input_prefix}*"]
        conditions = []
      },
      {
        # A job is authorised on the job itself and on the model it runs (Bedrock User Guide,
        # "Required permissions for batch inference").
        sid        = "CreateBatchJobs"
        actions    = ["bedrock:CreateModelInvocationJob"]
        resources  = concat([local.batch_job_arn_pattern], local.batch_model_arns)
        conditions = []
      },
      {
        sid       = "PassBatchRole"
        actions   = ["iam:PassRole"]
        resources = [aws_iam_role.batch_bedrock[0].arn]
        conditions = [
          { test = "StringEquals", variable = "iam:PassedToService", values = ["bedrock.amazonaws.com"] },
        ]
      },
    ],
    local.batch_job_read_statements,
    var.s3_trigger_enabled ? [
      {
        sid        = "ReadUploads"
        actions    = ["s3:GetObject"]
        resources  = ["${local.s3_trigger_bucket_arn}/${var.s3_trigger_prefix}*"]
        conditions = []
      },
    ] : [],
    local.batch_kms_statements,
    var.batch_submitter_policy_statements,
  )

  tags = var.tags
}

################################################################################
# Batch collector: job state change / poll -> batch-output/ -> jobs table, results, notices
################################################################################

module "batch_collector" {
  source = "./modules/sqs-function"
  count  = local.batch_count

  function_name        = local.batch_function_names.collector
  role_use_name_prefix = local.function_defaults.role_use_name_prefix
  description          = "bedrock-jobs batch collector: completes jobs from finished Bedrock batch inference jobs"
  handler              = "bedrock_jobs.batch_collector.handler"
  memory_size          = var.batch_collector_memory_size
  timeout              = var.batch_collector_timeout

  runtime                   = local.function_defaults.runtime
  architectures             = local.function_defaults.architectures
  log_retention_in_days     = local.function_defaults.log_retention_in_days
  kms_key_arn               = local.function_defaults.kms_key_arn
  powertools_layer_version  = local.function_defaults.powertools_layer_version
  powertools_layer_arn      = local.function_defaults.powertools_layer_arn
  role_permissions_boundary = local.function_defaults.role_permissions_boundary
  application_log_level     = local.application_log_level

  s3_bucket        = aws_s3_object.package.bucket
  s3_key           = aws_s3_object.package.key
  source_code_hash = local.package_source_code_hash

  environment_variables = local.batch_environment

  create_event_source_mapping = false

  policy_statements = concat(
    [
      {
        sid        = "JobsTable"
        actions    = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources  = [aws_dynamodb_table.jobs.arn]
        conditions = []
      },
      {
        # The submission manifests (batch-input/<token>/submission.json) and Bedrock's output.
        sid        = "ReadBatchFiles"
        actions    = ["s3:GetObject"]
        resources  = ["${local.batch_bucket_arn}/${local.batch_input_prefix}*", "${local.batch_bucket_arn}/${local.batch_output_prefix}*"]
        conditions = []
      },
      {
        # The "collected" marker of a finished job (batch-output/<job id>/collected.json).
        sid        = "MarkBatchJobsCollected"
        actions    = ["s3:PutObject"]
        resources  = ["${local.batch_bucket_arn}/${local.batch_output_prefix}*"]
        conditions = []
      },
      {
        # Large results are saved like the consumer's.
        sid        = "WriteResults"
        actions    = ["s3:PutObject"]
        resources  = ["${local.payload_bucket_arn}/${local.results_prefix}*"]
        conditions = []
      },
      {
        # Records that errored or are missing from the output run in realtime once.
        sid        = "FallBackToRealtime"
        actions    = ["sqs:SendMessage"]
        resources  = [module.queue.queue_arn]
        conditions = []
      },
    ],
    local.batch_job_read_statements,
    var.results_topic_enabled ? [
      {
        sid        = "PublishNotices"
        actions    = ["sns:Publish"]
        resources  = [local.results_topic_arn]
        conditions = []
      },
    ] : [],
    local.batch_kms_statements,
    local.batch_results_topic_kms_statements,
  )

  tags = var.tags
}

locals {
  batch_results_topic_kms_statements = length(local.results_topic_kms_key_arns) > 0 ? [
    {
      sid        = "UseResultsTopicKey"
      actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources  = local.results_topic_kms_key_arns
      conditions = []
    },
  ] : []
}

# Bedrock's state changes of batch inference jobs (best effort: the poll schedule below catches any
# event that does not arrive; Bedrock User Guide, "Monitor batch inference jobs with EventBridge").
resource "aws_cloudwatch_event_rule" "batch_job_state_change" {
  count = local.batch_count

  name           = "${var.name}-batch-job-state"
  description    = "bedrock-jobs: Bedrock batch inference job state changes -> batch collector"
  event_bus_name = "default"
  event_pattern = jsonencode({
    source        = ["aws.bedrock"]
    "detail-type" = ["Batch Inference Job State Change"]
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "batch_job_state_change" {
  count = local.batch_count

  rule           = aws_cloudwatch_event_rule.batch_job_state_change[0].name
  event_bus_name = "default"
  target_id      = "batch-collector"
  arn            = module.batch_collector[0].function_arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }
}

resource "aws_lambda_permission" "batch_job_state_change" {
  count = local.batch_count

  statement_id  = "AllowBatchJobStateChangeRule"
  action        = "lambda:InvokeFunction"
  function_name = module.batch_collector[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.batch_job_state_change[0].arn
}

################################################################################
# Submitter and collector schedules (EventBridge Scheduler)
################################################################################

locals {
  batch_schedules = var.batch_enabled ? {
    submit = {
      expression  = var.batch_submit_schedule_expression
      function    = "submitter"
      description = "bedrock-jobs: submit waiting batch jobs to Bedrock batch inference"
    }
    collect = {
      expression  = var.batch_collect_schedule_expression
      function    = "collector"
      description = "bedrock-jobs: poll the Bedrock batch inference jobs in flight"
    }
  } : {}

  batch_function_arns = var.batch_enabled ? {
    submitter = module.batch_submitter[0].function_arn
    collector = module.batch_collector[0].function_arn
  } : {}
}

data "aws_iam_policy_document" "batch_scheduler_assume_role" {
  count = local.batch_count

  statement {
    sid     = "SchedulerAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# One role per schedule, allowed to invoke exactly its function.
resource "aws_iam_role" "batch_scheduler" {
  for_each = local.batch_schedules

  name                 = local.batch_role_names[each.key]
  description          = "Lets EventBridge Scheduler invoke ${local.batch_function_names[each.value.function]}"
  assume_role_policy   = data.aws_iam_policy_document.batch_scheduler_assume_role[0].json
  permissions_boundary = var.lambda_role_permissions_boundary

  tags = var.tags
}

data "aws_iam_policy_document" "batch_scheduler" {
  for_each = local.batch_schedules

  statement {
    sid       = "InvokeFunction"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.batch_function_arns[each.value.function]]
  }
}

resource "aws_iam_role_policy" "batch_scheduler" {
  for_each = local.batch_schedules

  name   = "${var.name}-batch-${each.key}-schedule"
  role   = aws_iam_role.batch_scheduler[each.key].id
  policy = data.aws_iam_policy_document.batch_scheduler[each.key].json
}

resource "aws_scheduler_schedule" "batch" {
  # checkov:skip=CKV_AWS_297:The input names only the schedule and its time, nothing confidential; an AWS owned key encrypts it.
  for_each = local.batch_schedules

  name                         = "${var.name}-batch-${each.key}"
  description                  = each.value.description
  schedule_expression          = each.value.expression
  schedule_expression_timezone = var.batch_schedule_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = local.batch_function_arns[each.value.function]
    role_arn = aws_iam_role.batch_scheduler[each.key].arn
    # Any event starts a run; this one says where it came from (Scheduler context attributes,
    # Scheduler User Guide "Adding context attributes").
    # (jsonencode escapes < and >, which the keyword must keep.)
    input = replace(replace(jsonencode({
      source         = "bedrock-jobs.scheduler"
      schedule       = "${var.name}-batch-${each.key}"
      scheduled_time = "<aws.scheduler.scheduled-time>"
    }), "\\u003c", "<"), "\\u003e", ">")

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }

  depends_on = [aws_iam_role_policy.batch_scheduler]
}
