################################################################################
# Shared function settings
################################################################################

locals {
  tasks_config = jsonencode(var.tasks)

  # Lambda's advanced logging filters before Powertools sees a record, so keep the two levels equal.
  application_log_level = {
    DEBUG    = "DEBUG"
    INFO     = "INFO"
    WARNING  = "WARN"
    ERROR    = "ERROR"
    CRITICAL = "FATAL"
  }[var.powertools_log_level]

  powertools_environment = {
    POWERTOOLS_SERVICE_NAME      = local.service_name
    POWERTOOLS_METRICS_NAMESPACE = var.powertools_metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.powertools_log_level
  }

  # A claim on a job must outlive one invocation and expire before SQS redelivers the message
  # (visibility timeout >= 6 x timeout + window, validated on queue_visibility_timeout_seconds).
  job_lease_seconds = var.consumer_timeout + 30

  # KMS keys the functions encrypt or decrypt data with: the shared CMK (queues, table, buckets,
  # results topic) and the key of the alerts topic, when they are customer managed.
  data_kms_key_arns = var.kms_key_arn != null ? [var.kms_key_arn] : []
  results_topic_kms_key_arns = (
    var.results_topic_enabled && !var.results_topic_create && var.results_topic_kms_key_arn != null
    ? [var.results_topic_kms_key_arn] : []
  )
  alerts_topic_kms_key_arns = (
    !var.alarm_create_topic ? (var.alarm_topic_kms_key_arn != null ? [var.alarm_topic_kms_key_arn] : []) :
    var.alarm_topic_create_kms_key ? [module.alarms.topic_kms_key_arn] :
    var.alarm_topic_kms_master_key_id != null ? [var.alarm_topic_kms_master_key_id] :
    var.kms_key_arn != null ? [var.kms_key_arn] : []
  )

  # One KMS statement per function, naming only the keys that function's data is encrypted with.
  kms_statements = {
    for role, arns in {
      producer = local.data_kms_key_arns
      consumer = concat(local.data_kms_key_arns, local.alerts_topic_kms_key_arns, local.results_topic_kms_key_arns)
      archiver = concat(local.data_kms_key_arns, local.alerts_topic_kms_key_arns, local.results_topic_kms_key_arns)
      } : role => length(arns) > 0 ? [
      {
        sid       = "UseKmsKeys"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = distinct(arns)
      },
    ] : []
  }

  # How jobs are judged and completed, read the same way by the consumer and the batch functions (they
  # share job_processor): models, tasks, guardrails, result storage and the consumer's retry settings.
  job_processing_environment = merge(
    {
      JOBS_TABLE                         = aws_dynamodb_table.jobs.name
      PAYLOAD_BUCKET                     = module.payload_bucket.bucket_id
      ARCHIVE_BUCKET                     = local.archive_bucket_id
      MODEL_ID                           = var.model_id
      ALLOWED_MODEL_IDS                  = join(",", var.allowed_model_ids)
      TASKS_CONFIG                       = local.tasks_config
      DEFAULT_TASK                       = var.consumer_default_task
      INLINE_RESULT_MAX_BYTES            = tostring(var.consumer_inline_result_max_bytes)
      MAX_DOCUMENT_BYTES                 = tostring(var.producer_max_document_bytes)
      JOB_LEASE_SECONDS                  = tostring(local.job_lease_seconds)
      JOB_TTL_DAYS                       = tostring(var.jobs_table_ttl_days)
      BEDROCK_CONNECT_TIMEOUT_SECONDS    = tostring(var.consumer_bedrock_connect_timeout_seconds)
      BEDROCK_READ_TIMEOUT_SECONDS       = tostring(var.consumer_bedrock_read_timeout_seconds)
      BEDROCK_MAX_ATTEMPTS               = tostring(var.consumer_bedrock_max_attempts)
      RETRY_BASE_DELAY_SECONDS           = tostring(var.consumer_retry_base_delay_seconds)
      RETRY_MAX_DELAY_SECONDS            = tostring(var.consumer_retry_max_delay_seconds)
      RETRY_THROTTLED_BASE_DELAY_SECONDS = tostring(var.consumer_retry_throttled_base_delay_seconds)
    },
    var.results_topic_enabled ? { RESULTS_TOPIC_ARN = local.results_topic_arn } : {},
    # The default guardrail (guardrails.tf); tasks' own guardrails are in TASKS_CONFIG.
    local.guardrail_environment,
  )

  # Shared arguments of the three functions.
  function_defaults = {
    runtime                   = var.lambda_runtime
    architectures             = var.lambda_architectures
    log_retention_in_days     = var.lambda_log_retention_in_days
    kms_key_arn               = var.kms_key_arn
    powertools_layer_version  = var.powertools_layer_version
    powertools_layer_arn      = var.powertools_layer_arn
    role_permissions_boundary = var.lambda_role_permissions_boundary
    role_use_name_prefix      = var.lambda_role_use_name_prefix
  }
}

################################################################################
# Bedrock models the consumer may invoke
################################################################################

locals {
  # System-defined cross-region inference profiles are the model id prefixed by a geography.
  inference_profile_pattern     = "^(global|us-gov|us|eu|apac|jp|au|ca)\\.(.+)$"
  inference_profile_arn_pattern = "^arn:[^:]+:bedrock:[^:]*:[0-9]*:inference-profile/((global|us-gov|us|eu|apac|jp|au|ca)\\.(.+))$"

  model_ids = distinct(concat([var.model_id], compact([for task in values(var.tasks) : task.model_id]), var.allowed_model_ids))

  # Base models named by id are invoked in this region only.
  direct_model_arns = [
    for id in local.model_ids : "arn:${local.partition}:bedrock:${local.region}::foundation-model/${id}"
    if !startswith(id, "arn:") && !can(regex(local.inference_profile_pattern, id))
  ]

  # System-defined inference profiles (by id or ARN) and the foundation model behind each.
  inference_profiles = merge(
    {
      for id in local.model_ids : "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/${id}" => {
        model  = regex(local.inference_profile_pattern, id)[1]
        global = regex(local.inference_profile_pattern, id)[0] == "global"
      } if !startswith(id, "arn:") && can(regex(local.inference_profile_pattern, id))
    },
    {
      for id in local.model_ids : id => {
        model  = regex(local.inference_profile_arn_pattern, id)[2]
        global = regex(local.inference_profile_arn_pattern, id)[1] == "global"
      } if can(regex(local.inference_profile_arn_pattern, id))
    },
  )

  # Other ARNs (application inference profiles, provisioned throughput, imported models) as given.
  other_model_arns = [for id in local.model_ids : id if startswith(id, "arn:") && !can(regex(local.inference_profile_arn_pattern, id))]

  # Converse is authorised by bedrock:InvokeModel. A profile needs the profile itself plus the
  # foundation model in every region it routes to, and those model grants are conditioned on the call
  # coming through that profile (bedrock:InferenceProfileArn), so the role cannot invoke the model
  # directly in another region (UG "Prerequisites for inference profiles"). A global profile routes to
  # any commercial region; its model grant is the source region's model plus the region-less
  # arn:...:bedrock:::foundation-model/<id> with aws:RequestedRegion "unspecified" (UG "Global
  # cross-Region inference").
  bedrock_statements = concat(
    [
      {
        sid        = "InvokeModels"
        actions    = ["bedrock:InvokeModel"]
        resources  = distinct(concat(local.direct_model_arns, keys(local.inference_profiles), local.other_model_arns, var.consumer_allowed_model_arns))
        conditions = []
      },
    ],
    flatten([
      for i, arn in sort(keys(local.inference_profiles)) : concat(
        [
          {
            sid       = "InvokeModelViaProfile${i}"
            actions   = ["bedrock:InvokeModel"]
            resources = [local.inference_profiles[arn].global ? "arn:${local.partition}:bedrock:${local.region}::foundation-model/${local.inference_profiles[arn].model}" : "arn:${local.partition}:bedrock:*::foundation-model/${local.inference_profiles[arn].model}"]
            conditions = [
              { test = "StringEquals", variable = "bedrock:InferenceProfileArn", values = [arn] },
            ]
          },
        ],
        local.inference_profiles[arn].global ? [
          {
            sid       = "InvokeModelViaGlobalProfile${i}"
            actions   = ["bedrock:InvokeModel"]
            resources = ["arn:${local.partition}:bedrock:::foundation-model/${local.inference_profiles[arn].model}"]
            conditions = [
              { test = "StringEquals", variable = "bedrock:InferenceProfileArn", values = [arn] },
              { test = "StringEquals", variable = "aws:RequestedRegion", values = ["unspecified"] },
            ]
          },
        ] : [],
      )
    ]),
    # Serverless models sold through AWS Marketplace (Anthropic's among them) are subscribed to by the
    # first principal that invokes them in an account; without these actions that first call, and so
    # every job, fails with AccessDeniedException (UG "Access Amazon Bedrock foundation models").
    # Subscribe is scoped to the configured models' Marketplace product ids.
    var.consumer_marketplace_subscribe_enabled && length(var.consumer_marketplace_product_ids) > 0 ? [
      {
        sid       = "SubscribeToModelOffers"
        actions   = ["aws-marketplace:Subscribe"]
        resources = ["*"]
        conditions = [
          { test = "ForAnyValue:StringEquals", variable = "aws-marketplace:ProductId", values = var.consumer_marketplace_product_ids },
        ]
      },
      {
        # No resource-level permissions or condition keys exist for this read-only action.
        sid        = "ViewModelSubscriptions"
        actions    = ["aws-marketplace:ViewSubscriptions"]
        resources  = ["*"]
        conditions = []
      },
    ] : [],
  )
}

################################################################################
# Producer: HTTP API (Function URL) -> jobs table + main queue
################################################################################

# Key of the job ids the producer derives from idempotency keys (JOB_ID_SECRET): ids are an HMAC of the
# caller's identity and the key, so without this per-deployment value nobody can compute one. Made once
# with uuid() (122 random bits) and then kept: ignore_changes stops the new uuid() of every plan from
# replacing it, and no extra provider is needed. Rotate with
# `terraform apply -replace=terraform_data.job_id_secret`; retries of submissions made before the
# rotation then create new jobs instead of finding theirs.
resource "terraform_data" "job_id_secret" {
  input = uuid()

  lifecycle {
    ignore_changes = [input]
  }
}

module "producer" {
  source = "./modules/sqs-function"

  function_name        = local.function_names.producer
  role_name            = var.producer_role_name
  role_use_name_prefix = local.function_defaults.role_use_name_prefix
  description          = "bedrock-jobs producer: validates and enqueues jobs (POST /jobs, GET /jobs/{job_id})"
  handler              = "bedrock_jobs.producer.handler"
  memory_size          = var.producer_memory_size
  timeout              = var.producer_timeout

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

  reserved_concurrent_executions = var.producer_reserved_concurrent_executions

  environment_variables = merge(
    local.powertools_environment,
    {
      JOBS_TABLE                    = aws_dynamodb_table.jobs.name
      QUEUE_URL                     = module.queue.queue_url
      PAYLOAD_BUCKET                = module.payload_bucket.bucket_id
      MODEL_ID                      = var.model_id
      ALLOWED_MODEL_IDS             = join(",", var.allowed_model_ids)
      TASKS_CONFIG                  = local.tasks_config
      MAX_DOCUMENT_BYTES            = tostring(var.producer_max_document_bytes)
      INLINE_DOCUMENT_MAX_BYTES     = tostring(var.producer_inline_document_max_bytes)
      QUEUE_MAX_MESSAGE_BYTES       = tostring(var.queue_max_message_size)
      JOB_TTL_DAYS                  = tostring(var.jobs_table_ttl_days)
      FIFO_DEFAULT_MESSAGE_GROUP_ID = var.producer_fifo_default_message_group_id
      JOB_ID_SECRET                 = sensitive(terraform_data.job_id_secret.output)
      DEFAULT_MODE                  = var.default_mode
    },
    # Empty without batch mode: the producer then refuses "mode": "batch" with a 4xx.
    { BATCH_QUEUE_URL = var.batch_enabled ? module.batch_queue[0].queue_url : "" },
    var.producer_environment_variables,
  )

  create_event_source_mapping = false

  policy_statements = concat(
    [
      {
        sid       = "JobsTable"
        actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [aws_dynamodb_table.jobs.arn]
      },
      {
        sid       = "EnqueueJobs"
        actions   = ["sqs:SendMessage"]
        resources = [module.queue.queue_arn]
      },
      {
        sid       = "OffloadDocuments"
        actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
        resources = ["${local.payload_bucket_arn}/${local.documents_prefix}*"]
      },
      {
        sid       = "ReadResults"
        actions   = ["s3:GetObject"]
        resources = ["${local.payload_bucket_arn}/${local.results_prefix}*"]
      },
    ],
    var.batch_enabled ? [
      {
        sid       = "EnqueueBatchJobs"
        actions   = ["sqs:SendMessage"]
        resources = [module.batch_queue[0].queue_arn]
      },
    ] : [],
    local.kms_statements.producer,
  )

  tags = var.tags
}

# Function URL rather than an API Gateway HTTP API: payload format 2.0 is the same, IAM (SigV4) auth
# is built in, there is no per-request charge and no extra resources. API Gateway remains the choice
# when you need usage plans, WAF, custom domains or JWT authorizers; put it in front of the function
# (module.producer outputs its invoke ARN).
resource "aws_lambda_function_url" "producer" {
  # checkov:skip=CKV_AWS_258:AWS_IAM is the default; NONE is only accepted with producer_url_allow_unauthenticated = true (variable validation).
  count = var.producer_url_enabled ? 1 : 0

  function_name      = module.producer.function_name
  authorization_type = var.producer_url_authorization_type
  invoke_mode        = "BUFFERED"

  dynamic "cors" {
    for_each = var.producer_url_cors != null ? [var.producer_url_cors] : []

    content {
      allow_origins     = cors.value.allow_origins
      allow_methods     = cors.value.allow_methods
      allow_headers     = cors.value.allow_headers
      expose_headers    = cors.value.expose_headers
      allow_credentials = cors.value.allow_credentials
      max_age           = cors.value.max_age
    }
  }
}

locals {
  # Callers of a Function URL need both lambda:InvokeFunctionUrl and (for URLs created since
  # October 2025) lambda:InvokeFunction through the URL.
  producer_url_principals = var.producer_url_enabled ? (
    var.producer_url_authorization_type == "NONE" ? ["*"] : var.producer_url_allowed_principals
  ) : []

  # Keyed by position, not by principal: a principal may be an ARN known only after apply (a role
  # created next to the module), and for_each keys must be known at plan. The statement ids stay short
  # (Lambda allows 100 characters) whatever the principal's length.
  producer_url_permissions = { for i, principal in local.producer_url_principals : tostring(i) => principal }
}

resource "aws_lambda_permission" "producer_url" {
  # checkov:skip=CKV_AWS_301:Principal "*" exists only for authorization NONE, which needs the explicit producer_url_allow_unauthenticated opt-in.
  for_each = local.producer_url_permissions

  statement_id           = "InvokeFunctionUrl-${each.key}"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = module.producer.function_name
  principal              = each.value
  function_url_auth_type = var.producer_url_authorization_type
}

resource "aws_lambda_permission" "producer_url_invoke" {
  # checkov:skip=CKV_AWS_301:Principal "*" exists only for authorization NONE, which needs the explicit producer_url_allow_unauthenticated opt-in; the permission is limited to calls through the Function URL.
  for_each = local.producer_url_permissions

  statement_id             = "InvokeViaFunctionUrl-${each.key}"
  action                   = "lambda:InvokeFunction"
  function_name            = module.producer.function_name
  principal                = each.value
  invoked_via_function_url = true
}

# Identity policy for callers in this account (attach it to the role of whoever submits jobs).
data "aws_iam_policy_document" "producer_invoke" {
  statement {
    sid       = "SubmitJobs"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]
    resources = [module.producer.function_arn]
  }
}

################################################################################
# Consumer: main queue -> Bedrock -> jobs table, results
################################################################################

module "consumer" {
  source = "./modules/sqs-function"

  function_name        = local.function_names.consumer
  role_name            = var.consumer_role_name
  role_use_name_prefix = local.function_defaults.role_use_name_prefix
  description          = "bedrock-jobs consumer: runs queued jobs on Amazon Bedrock"
  handler              = "bedrock_jobs.consumer.handler"
  memory_size          = var.consumer_memory_size
  timeout              = var.consumer_timeout

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

  reserved_concurrent_executions = var.consumer_reserved_concurrent_executions

  environment_variables = merge(
    local.powertools_environment,
    {
      QUEUE_URL              = module.queue.queue_url
      ALERTS_TOPIC_ARN       = module.alarms.topic_arn
      MAX_CONCURRENT_RECORDS = tostring(var.consumer_max_concurrent_records)
    },
    local.job_processing_environment,
    var.consumer_environment_variables,
  )

  # SQS event source mapping on the main queue (the module adds the consume actions on exactly it).
  event_source_arn                   = module.queue.queue_arn
  event_source_fifo                  = var.queue_fifo
  event_source_kms_key_arn           = var.kms_key_arn
  batch_size                         = var.consumer_batch_size
  maximum_batching_window_in_seconds = var.consumer_maximum_batching_window_in_seconds
  maximum_concurrency                = var.consumer_maximum_concurrency
  filter_criteria                    = var.consumer_filter_criteria

  policy_statements = concat(
    [
      {
        sid       = "JobsTable"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = [aws_dynamodb_table.jobs.arn]
      },
      {
        sid       = "ReadDocuments"
        actions   = ["s3:GetObject"]
        resources = ["${local.payload_bucket_arn}/${local.documents_prefix}*"]
      },
      {
        sid       = "WriteResults"
        actions   = ["s3:PutObject"]
        resources = ["${local.payload_bucket_arn}/${local.results_prefix}*"]
      },
      {
        # Poison messages are archived by the consumer itself when it gives up on them.
        sid       = "ArchiveFailures"
        actions   = ["s3:PutObject"]
        resources = ["${local.archive_bucket_arn}/${local.failed_prefix}*"]
      },
      {
        sid       = "PublishNotices"
        actions   = ["sns:Publish"]
        resources = compact(concat([module.alarms.topic_arn], var.results_topic_enabled ? [local.results_topic_arn] : []))
      },
    ],
    local.bedrock_statements,
    local.guardrail_statements,
    var.s3_trigger_enabled ? [
      {
        sid       = "ReadUploads"
        actions   = ["s3:GetObject"]
        resources = ["${local.s3_trigger_bucket_arn}/${var.s3_trigger_prefix}*"]
      },
    ] : [],
    local.kms_statements.consumer,
    var.consumer_policy_statements,
  )

  tags = var.tags
}

################################################################################
# DLQ archiver: DLQ -> S3 archive, job "failed", alert
################################################################################

module "archiver" {
  source = "./modules/sqs-function"

  function_name        = local.function_names.archiver
  role_name            = var.archiver_role_name
  role_use_name_prefix = local.function_defaults.role_use_name_prefix
  description          = "bedrock-jobs DLQ archiver: requeues untried jobs, archives and fails the rest, alerts once per batch"
  handler              = "bedrock_jobs.dlq_archiver.handler"
  memory_size          = var.archiver_memory_size
  timeout              = var.archiver_timeout

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

  environment_variables = merge(
    local.powertools_environment,
    {
      JOBS_TABLE       = aws_dynamodb_table.jobs.name
      ARCHIVE_BUCKET   = local.archive_bucket_id
      ALERTS_TOPIC_ARN = module.alarms.topic_arn
      JOB_TTL_DAYS     = tostring(var.jobs_table_ttl_days)
      # A whole batch is archived at once.
      MAX_CONCURRENT_RECORDS = tostring(var.archiver_batch_size)
      # Where a dead-lettered job that was never attempted is sent back to, and how often.
      QUEUE_URL             = module.queue.queue_url
      ARCHIVER_MAX_REQUEUES = tostring(var.archiver_max_requeues)
      # Where the consumer saves model answers: a job with one is sent back to be finished, not failed.
      PAYLOAD_BUCKET = module.payload_bucket.bucket_id
    },
    # A dead-lettered job fails like any other: its "job failed" notice goes to the results topic.
    var.results_topic_enabled ? { RESULTS_TOPIC_ARN = local.results_topic_arn } : {},
  )

  event_source_arn             = module.queue.dlq_arn
  event_source_fifo            = var.queue_fifo
  event_source_kms_key_arn     = var.kms_key_arn
  event_source_mapping_enabled = var.archiver_enabled
  batch_size                   = var.archiver_batch_size
  maximum_concurrency          = var.archiver_maximum_concurrency

  policy_statements = concat(
    [
      {
        sid       = "ArchiveFailures"
        actions   = ["s3:PutObject"]
        resources = ["${local.archive_bucket_arn}/${local.failed_prefix}*"]
      },
      {
        sid       = "ReadSavedModelAnswers"
        actions   = ["s3:GetObject"]
        resources = ["${local.payload_bucket_arn}/${local.results_prefix}*"]
      },
      {
        sid       = "MarkJobsFailed"
        actions   = ["dynamodb:UpdateItem", "dynamodb:GetItem"]
        resources = [aws_dynamodb_table.jobs.arn]
      },
      {
        # Never-attempted jobs go back to the main queue (its key is in local.kms_statements.archiver).
        sid       = "RequeueUntriedJobs"
        actions   = ["sqs:SendMessage"]
        resources = [module.queue.queue_arn]
      },
      {
        sid       = "PublishAlerts"
        actions   = ["sns:Publish"]
        resources = compact(concat([module.alarms.topic_arn], var.results_topic_enabled ? [local.results_topic_arn] : []))
      },
    ],
    local.kms_statements.archiver,
  )

  tags = var.tags
}
