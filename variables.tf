################################################################################
# General
################################################################################

variable "name" {
  description = "Name prefix of every resource (queues, functions, roles, table, buckets, alarms). Lowercase so it is valid in S3 bucket names."
  type        = string
  default     = "bedrock-jobs"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must be 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Tags applied to every resource that supports them."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN used for the queues, the jobs table, the buckets, the results topic, the alerts topic (unless alarm_topic_kms_master_key_id says otherwise), Lambda environment variables and log groups. null uses AWS-owned/managed keys everywhere. The key policy must let events.amazonaws.com, sns.amazonaws.com, cloudwatch.amazonaws.com and logs.<region>.amazonaws.com use it (examples/existing-topic-and-kms shows one)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

################################################################################
# Model and tasks
################################################################################

variable "model_id" {
  description = "Default Bedrock model id (default: Claude Haiku 4.5 through its global cross-region inference profile, Active on Bedrock; Claude 3 Haiku, the earlier default, reached end of life on 2026-09-10), inference profile id (e.g. `us.anthropic.claude-3-5-haiku-20241022-v1:0`) or ARN used by the consumer (MODEL_ID). The consumer may invoke only this model, the tasks' models, allowed_model_ids and consumer_allowed_model_arns."
  type        = string
  default     = "global.anthropic.claude-haiku-4-5-20251001-v1:0"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._:/-]*$", var.model_id)) && length(var.model_id) <= 2048
    error_message = "model_id must be a Bedrock model id, inference profile id or ARN."
  }
}

variable "tasks" {
  description = "Tasks beyond (or overriding) the built-in `summarize` and `classify`, passed to the functions as TASKS_CONFIG. `user_template` uses the `{document}`, `{labels}` and `{task}` placeholders and is required for a new task; `inference_config` follows the Converse API."
  type = map(object({
    system_prompt = optional(string)
    user_template = optional(string)
    inference_config = optional(object({
      maxTokens     = optional(number)
      temperature   = optional(number)
      topP          = optional(number)
      stopSequences = optional(list(string))
    }))
    model_id        = optional(string)
    requires_labels = optional(bool)
    # Overrides the deployment's guardrail (guardrail_id / guardrail_create) for this task; "none" turns it off.
    guardrail_id      = optional(string)
    guardrail_version = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.tasks) : can(regex("^[a-z0-9][a-z0-9_-]{0,63}$", name))])
    error_message = "Task names must be 1-64 lowercase letters, digits, hyphens or underscores."
  }

  validation {
    condition     = alltrue([for name, t in var.tasks : contains(["summarize", "classify"], name) || t.user_template != null])
    error_message = "A new task (not summarize or classify) needs a user_template."
  }

  validation {
    condition     = alltrue([for t in values(var.tasks) : t.user_template == null || strcontains(coalesce(t.user_template, "{document}"), "{document}")])
    error_message = "A user_template must contain the {document} placeholder."
  }

  validation {
    condition = alltrue([for t in values(var.tasks) : t.inference_config == null || try(
      (t.inference_config.temperature == null || (t.inference_config.temperature >= 0 && t.inference_config.temperature <= 1)) &&
      (t.inference_config.topP == null || (t.inference_config.topP >= 0 && t.inference_config.topP <= 1)) &&
      (t.inference_config.maxTokens == null || t.inference_config.maxTokens >= 1),
    false)])
    error_message = "inference_config: temperature and topP must be between 0 and 1, maxTokens at least 1."
  }

  validation {
    # Lambda caps all environment variables of a function at 4 KB together; leave room for the others.
    condition     = length(jsonencode(var.tasks)) <= 2500
    error_message = "The tasks, JSON-encoded, must stay under 2500 bytes: they travel in the TASKS_CONFIG environment variable and Lambda allows 4 KB of environment in total."
  }

  validation {
    # Converse GuardrailConfiguration patterns (API "API_runtime_GuardrailConfiguration"); the version is required with an id.
    condition = alltrue([for t in values(var.tasks) : (
      t.guardrail_id == null ? t.guardrail_version == null :
      t.guardrail_id == "none" ? t.guardrail_version == null :
      can(regex("^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))$", t.guardrail_id)) && can(regex("^(([1-9][0-9]{0,7})|(DRAFT))$", coalesce(t.guardrail_version, "-")))
    )])
    error_message = "A task's guardrail_id must be a guardrail id or ARN with a guardrail_version (DRAFT or a number), or \"none\" without a version."
  }
}

################################################################################
# Lambda (shared by the three functions)
################################################################################

variable "lambda_runtime" {
  description = "Python runtime of the three functions."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12 or python3.13."
  }
}

variable "lambda_architectures" {
  description = "Instruction set of the three functions. arm64 (Graviton) is about 20% cheaper per GB-second; Powertools publishes layers for both."
  type        = list(string)
  default     = ["arm64"]

  validation {
    condition     = length(var.lambda_architectures) == 1 && alltrue([for a in var.lambda_architectures : contains(["arm64", "x86_64"], a)])
    error_message = "lambda_architectures must be [\"arm64\"] or [\"x86_64\"]."
  }
}

variable "lambda_log_retention_in_days" {
  description = "Retention of the functions' log groups, in days (a value CloudWatch Logs accepts; 0 keeps logs forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda_log_retention_in_days)
    error_message = "lambda_log_retention_in_days must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "lambda_role_permissions_boundary" {
  description = "ARN of a permissions boundary attached to the three functions' roles."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_role_permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/", coalesce(var.lambda_role_permissions_boundary, "-")))
    error_message = "lambda_role_permissions_boundary must be an IAM policy ARN."
  }
}

variable "lambda_role_use_name_prefix" {
  description = "Name the functions' IAM roles by prefix (IAM appends a unique suffix), as terraform-aws-modules' use_name_prefix: never collides with an existing role, but the names are not predictable."
  type        = bool
  default     = false
}

variable "producer_role_name" {
  description = "IAM role name of the producer. null uses `<name>-producer-<region>` (IAM names are account-wide; the region lets the same name be deployed in several regions)."
  type        = string
  default     = null

  validation {
    condition     = var.producer_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.producer_role_name, "-")))
    error_message = "producer_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "consumer_role_name" {
  description = "IAM role name of the consumer. null uses `<name>-consumer-<region>`."
  type        = string
  default     = null

  validation {
    condition     = var.consumer_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.consumer_role_name, "-")))
    error_message = "consumer_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "archiver_role_name" {
  description = "IAM role name of the DLQ archiver. null uses `<name>-dlq-archiver-<region>`."
  type        = string
  default     = null

  validation {
    condition     = var.archiver_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.archiver_role_name, "-")))
    error_message = "archiver_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "powertools_layer_version" {
  description = "Version of AWS's public Powertools for AWS Lambda (Python) v3 layer (`arn:aws:lambda:<region>:017000801446:layer:AWSLambdaPowertoolsPythonV3-<python3xx>-<arch>:<version>`)."
  type        = number
  default     = 27

  validation {
    condition     = var.powertools_layer_version >= 1 && floor(var.powertools_layer_version) == var.powertools_layer_version
    error_message = "powertools_layer_version must be a positive whole number."
  }
}

variable "powertools_layer_arn" {
  description = "Full Powertools layer version ARN, overriding the derived one (China/GovCloud partitions, a private copy). It must match lambda_runtime and lambda_architectures."
  type        = string
  default     = null

  validation {
    condition     = var.powertools_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.powertools_layer_arn))
    error_message = "powertools_layer_arn must be a layer version ARN."
  }
}

variable "powertools_service_name" {
  description = "POWERTOOLS_SERVICE_NAME of the functions (the `service` of logs, traces and metrics). null uses `name`."
  type        = string
  default     = null
}

variable "powertools_metrics_namespace" {
  description = "CloudWatch namespace of the functions' custom metrics (POWERTOOLS_METRICS_NAMESPACE); the dashboard reads JobsCompleted, JobsFailed, ModelLatency, InputTokens and OutputTokens from it."
  type        = string
  default     = "bedrock-jobs"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-][A-Za-z0-9 ._/#:-]{0,254}$", var.powertools_metrics_namespace)) && !startswith(var.powertools_metrics_namespace, "AWS/")
    error_message = "powertools_metrics_namespace must be a valid CloudWatch namespace (1-255 characters, not starting with AWS/)."
  }
}

variable "powertools_log_level" {
  description = "Log level of the functions (POWERTOOLS_LOG_LEVEL, also set as the Lambda application log level so the two agree)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.powertools_log_level)
    error_message = "powertools_log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

################################################################################
# Queue and dead-letter queue
################################################################################

variable "queue_fifo" {
  description = "Use FIFO queues (ordered per message group, exactly-once send). The consumer then takes at most 10 records and no batching window."
  type        = bool
  default     = false
}

variable "queue_content_based_deduplication" {
  description = "FIFO only: deduplicate on the body's SHA-256 when a sender gives no deduplication id."
  type        = bool
  default     = false

  validation {
    condition     = !var.queue_content_based_deduplication || var.queue_fifo
    error_message = "queue_content_based_deduplication needs queue_fifo = true."
  }
}

variable "queue_high_throughput_fifo" {
  description = "FIFO only: high-throughput mode (deduplication per message group, throughput limit per message group id)."
  type        = bool
  default     = false

  validation {
    condition     = !var.queue_high_throughput_fifo || var.queue_fifo
    error_message = "queue_high_throughput_fifo needs queue_fifo = true."
  }
}

variable "queue_max_receive_count" {
  description = "Receives after which a job's message moves to the DLQ (the redrive policy's maxReceiveCount)."
  type        = number
  default     = 3

  validation {
    condition     = var.queue_max_receive_count >= 1 && var.queue_max_receive_count <= 1000 && floor(var.queue_max_receive_count) == var.queue_max_receive_count
    error_message = "queue_max_receive_count must be a whole number between 1 and 1000."
  }
}

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the main queue. null derives 6 x consumer_timeout + consumer_maximum_batching_window_in_seconds (AWS's recommendation, 305 s with the defaults); an override below that is rejected at plan time."
  type        = number
  default     = null

  validation {
    condition     = var.queue_visibility_timeout_seconds == null || try(var.queue_visibility_timeout_seconds >= 6 * var.consumer_timeout + var.consumer_maximum_batching_window_in_seconds && var.queue_visibility_timeout_seconds <= 43200, false)
    error_message = "queue_visibility_timeout_seconds must be at least 6 x consumer_timeout + consumer_maximum_batching_window_in_seconds and at most 43200 (12 hours)."
  }
}

variable "queue_message_retention_seconds" {
  description = "How long the main queue keeps a job message (60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.queue_message_retention_seconds >= 60 && var.queue_message_retention_seconds <= 1209600
    error_message = "queue_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "queue_receive_wait_time_seconds" {
  description = "Long-polling wait of both queues (0-20 s)."
  type        = number
  default     = 20

  validation {
    condition     = var.queue_receive_wait_time_seconds >= 0 && var.queue_receive_wait_time_seconds <= 20
    error_message = "queue_receive_wait_time_seconds must be between 0 and 20."
  }
}

variable "queue_delay_seconds" {
  description = "Delivery delay of new messages on the main queue (0-900 s)."
  type        = number
  default     = 0

  validation {
    condition     = var.queue_delay_seconds >= 0 && var.queue_delay_seconds <= 900
    error_message = "queue_delay_seconds must be between 0 and 900."
  }
}

variable "queue_max_message_size" {
  description = "Largest message both queues accept, in bytes (1,024-1,048,576). The producer (QUEUE_MAX_MESSAGE_BYTES) measures each message as SQS counts it and moves the document to S3 when the message would not fit; its SendMessageBatch calls stay within it too."
  type        = number
  default     = 262144

  validation {
    condition     = var.queue_max_message_size >= 1024 && var.queue_max_message_size <= 1048576
    error_message = "queue_max_message_size must be between 1024 and 1048576."
  }
}

variable "queue_kms_data_key_reuse_period_seconds" {
  description = "With kms_key_arn: how long SQS reuses a data key (60-86400 s); longer means fewer KMS calls."
  type        = number
  default     = 300

  validation {
    condition     = var.queue_kms_data_key_reuse_period_seconds >= 60 && var.queue_kms_data_key_reuse_period_seconds <= 86400
    error_message = "queue_kms_data_key_reuse_period_seconds must be between 60 and 86400."
  }
}

variable "queue_allowed_eventbridge_rule_arns" {
  description = "Extra EventBridge rule ARNs (defined outside this module) allowed to send jobs to the main queue. The module's own rules are always allowed."
  type        = list(string)
  default     = []
}

variable "queue_allowed_sns_topic_arns" {
  description = "SNS topic ARNs allowed to send jobs to the main queue (subscribe the queue with raw message delivery; bodies must follow the queue message contract)."
  type        = list(string)
  default     = []
}

variable "queue_allowed_s3_bucket_arns" {
  description = "S3 bucket ARNs allowed to send event notifications directly to the main queue. Prefer s3_trigger_*, which goes through EventBridge and produces a contract message."
  type        = list(string)
  default     = []
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message (60 s to 14 days; at least queue_message_retention_seconds)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }

  validation {
    condition     = var.dlq_message_retention_seconds >= var.queue_message_retention_seconds
    error_message = "dlq_message_retention_seconds must be at least queue_message_retention_seconds."
  }
}

################################################################################
# Consumer (main queue -> Bedrock)
################################################################################

variable "consumer_timeout" {
  description = "Timeout of the consumer function in seconds. It must cover one record's worst case: consumer_bedrock_max_attempts x (connect + read timeout) plus retry backoff and a few seconds of storage calls."
  type        = number
  default     = 50

  validation {
    condition     = var.consumer_timeout >= 10 && var.consumer_timeout <= 900 && floor(var.consumer_timeout) == var.consumer_timeout
    error_message = "consumer_timeout must be a whole number between 10 and 900."
  }

  validation {
    # Mirrors Settings.record_budget_seconds in functions/bedrock_jobs/config.py.
    condition = var.consumer_timeout >= (
      var.consumer_bedrock_max_attempts * (var.consumer_bedrock_connect_timeout_seconds + var.consumer_bedrock_read_timeout_seconds)
      + sum(concat([0], [for n in range(1, var.consumer_bedrock_max_attempts) : min(20, pow(2, n))]))
      + 3
    )
    error_message = "consumer_timeout is shorter than one record's worst case: consumer_bedrock_max_attempts x (connect + read timeout) + retry backoff + 3 s. Raise it or lower the Bedrock timeouts."
  }
}

variable "consumer_memory_size" {
  description = "Memory of the consumer function in MB (128-10240)."
  type        = number
  default     = 512

  validation {
    condition     = var.consumer_memory_size >= 128 && var.consumer_memory_size <= 10240
    error_message = "consumer_memory_size must be between 128 and 10240."
  }
}

variable "consumer_batch_size" {
  description = "Records per consumer invocation (1-10000; at most 10 with FIFO; above 10 needs a batching window of at least 1 s)."
  type        = number
  default     = 10

  validation {
    condition     = var.consumer_batch_size >= 1 && var.consumer_batch_size <= 10000 && floor(var.consumer_batch_size) == var.consumer_batch_size
    error_message = "consumer_batch_size must be a whole number between 1 and 10000."
  }

  validation {
    condition     = !var.queue_fifo || var.consumer_batch_size <= 10
    error_message = "consumer_batch_size must be at most 10 with FIFO queues."
  }

  validation {
    condition     = var.consumer_batch_size <= 10 || var.consumer_maximum_batching_window_in_seconds >= 1
    error_message = "consumer_batch_size above 10 needs consumer_maximum_batching_window_in_seconds of at least 1."
  }
}

variable "consumer_maximum_batching_window_in_seconds" {
  description = "How long the poller gathers records before invoking the consumer (0-300 s; must be 0 with FIFO)."
  type        = number
  default     = 5

  validation {
    condition     = var.consumer_maximum_batching_window_in_seconds >= 0 && var.consumer_maximum_batching_window_in_seconds <= 300
    error_message = "consumer_maximum_batching_window_in_seconds must be between 0 and 300."
  }

  validation {
    condition     = !var.queue_fifo || var.consumer_maximum_batching_window_in_seconds == 0
    error_message = "FIFO queues do not support a batching window: set consumer_maximum_batching_window_in_seconds = 0."
  }
}

variable "consumer_maximum_concurrency" {
  description = "Most concurrent consumer invocations the event source mapping drives (2-1000): the knob that keeps Bedrock calls under the model's quota. Model calls in flight peak at this x consumer_max_concurrent_records (defaults: 2 x 5 = 10), which fits a new account's Lambda concurrency (10) and the default model's default requests-per-minute quota; raise both with your quotas (README, \"Sizing\")."
  type        = number
  default     = 2

  validation {
    condition     = var.consumer_maximum_concurrency >= 2 && var.consumer_maximum_concurrency <= 1000 && floor(var.consumer_maximum_concurrency) == var.consumer_maximum_concurrency
    error_message = "consumer_maximum_concurrency must be a whole number between 2 and 1000."
  }
}

variable "consumer_max_concurrent_records" {
  description = "Records of one batch the consumer processes at once (MAX_CONCURRENT_RECORDS). In-flight Bedrock calls peak at consumer_maximum_concurrency x this."
  type        = number
  default     = 5

  validation {
    condition     = var.consumer_max_concurrent_records >= 1 && var.consumer_max_concurrent_records <= 100
    error_message = "consumer_max_concurrent_records must be between 1 and 100."
  }
}

variable "consumer_reserved_concurrent_executions" {
  description = "Reserved concurrency of the consumer. null leaves it unreserved; if set, it must be at least consumer_maximum_concurrency or the mapping's invocations get throttled."
  type        = number
  default     = null

  validation {
    condition     = var.consumer_reserved_concurrent_executions == null || try(var.consumer_reserved_concurrent_executions >= var.consumer_maximum_concurrency, false)
    error_message = "consumer_reserved_concurrent_executions must be null or at least consumer_maximum_concurrency."
  }
}

variable "consumer_filter_criteria" {
  description = "Event filter patterns (JSON strings) of the consumer's mapping. Records that match no pattern are deleted without processing, so filter only what is safe to drop."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.consumer_filter_criteria) <= 10 && alltrue([for p in var.consumer_filter_criteria : can(jsondecode(p))])
    error_message = "consumer_filter_criteria takes at most 10 patterns, each valid JSON."
  }
}

variable "allowed_model_ids" {
  description = "Model ids or inference profile ids a job may name (its `model_id`) besides model_id and the tasks' models (ALLOWED_MODEL_IDS). The producer rejects any other with 400 and the consumer fails such a message without a model call; the consumer's role may invoke exactly these (profiles only through themselves)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.allowed_model_ids : can(regex("^[A-Za-z0-9][A-Za-z0-9._:/-]*$", id)) && !strcontains(id, ",")])
    error_message = "Each entry must be a Bedrock model id, inference profile id or ARN."
  }
}

variable "consumer_allowed_model_arns" {
  description = "Extra Bedrock resource ARNs (foundation models, inference profiles, provisioned throughput) the consumer may invoke, for jobs that name a model_id other than model_id and the tasks' models."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.consumer_allowed_model_arns : can(regex("^arn:aws[a-z-]*:bedrock:", arn))])
    error_message = "Every entry must be a Bedrock ARN (arn:<partition>:bedrock:...)."
  }
}

variable "consumer_default_task" {
  description = "Task applied to messages that name none (DEFAULT_TASK)."
  type        = string
  default     = "summarize"

  validation {
    condition     = contains(concat(["summarize", "classify"], keys(var.tasks)), var.consumer_default_task)
    error_message = "consumer_default_task must be summarize, classify or a key of tasks."
  }
}

variable "consumer_inline_result_max_bytes" {
  description = "Results larger than this go to the payload bucket under results/ and the job carries result_uri (INLINE_RESULT_MAX_BYTES). DynamoDB items are capped at 400 KB."
  type        = number
  default     = 100000

  validation {
    condition     = var.consumer_inline_result_max_bytes >= 0 && var.consumer_inline_result_max_bytes <= 300000
    error_message = "consumer_inline_result_max_bytes must be between 0 and 300000 (a DynamoDB item is at most 400 KB)."
  }
}

variable "consumer_bedrock_connect_timeout_seconds" {
  description = "Connect timeout of the consumer's Bedrock client (BEDROCK_CONNECT_TIMEOUT_SECONDS)."
  type        = number
  default     = 2

  validation {
    condition     = var.consumer_bedrock_connect_timeout_seconds > 0 && var.consumer_bedrock_connect_timeout_seconds <= 60
    error_message = "consumer_bedrock_connect_timeout_seconds must be greater than 0 and at most 60."
  }
}

variable "consumer_bedrock_read_timeout_seconds" {
  description = "Read timeout of the consumer's Bedrock client (BEDROCK_READ_TIMEOUT_SECONDS): the longest model response to wait for."
  type        = number
  default     = 20

  validation {
    condition     = var.consumer_bedrock_read_timeout_seconds > 0 && var.consumer_bedrock_read_timeout_seconds <= 840
    error_message = "consumer_bedrock_read_timeout_seconds must be greater than 0 and at most 840."
  }
}

variable "consumer_bedrock_max_attempts" {
  description = "Total attempts of the consumer's Bedrock client in botocore standard retry mode (BEDROCK_MAX_ATTEMPTS); SQS redelivery retries beyond that."
  type        = number
  default     = 2

  validation {
    condition     = var.consumer_bedrock_max_attempts >= 1 && var.consumer_bedrock_max_attempts <= 10 && floor(var.consumer_bedrock_max_attempts) == var.consumer_bedrock_max_attempts
    error_message = "consumer_bedrock_max_attempts must be a whole number between 1 and 10."
  }
}

variable "consumer_retry_base_delay_seconds" {
  description = "Base of the consumer's visibility backoff after a retryable failure: base x 2^(receiveCount-1), jittered (RETRY_BASE_DELAY_SECONDS)."
  type        = number
  default     = 10

  validation {
    condition     = var.consumer_retry_base_delay_seconds >= 0 && var.consumer_retry_base_delay_seconds <= 43200
    error_message = "consumer_retry_base_delay_seconds must be between 0 and 43200."
  }
}

variable "consumer_retry_throttled_base_delay_seconds" {
  description = "Base of the consumer's visibility backoff after Bedrock throttling or a quota error (RETRY_THROTTLED_BASE_DELAY_SECONDS): base x 2^(receiveCount-1), jittered, capped. Capacity returns in minutes; the default lets three receives span at least 4.5 minutes of throttling."
  type        = number
  default     = 180

  validation {
    condition     = var.consumer_retry_throttled_base_delay_seconds >= 0 && var.consumer_retry_throttled_base_delay_seconds <= 43200
    error_message = "consumer_retry_throttled_base_delay_seconds must be between 0 and 43200."
  }
}

variable "consumer_retry_max_delay_seconds" {
  description = "Cap of the consumer's visibility backoff (RETRY_MAX_DELAY_SECONDS; SQS allows at most 43200)."
  type        = number
  default     = 900

  validation {
    condition     = var.consumer_retry_max_delay_seconds >= 0 && var.consumer_retry_max_delay_seconds <= 43200
    error_message = "consumer_retry_max_delay_seconds must be between 0 and 43200."
  }
}

variable "consumer_environment_variables" {
  description = "Extra environment variables of the consumer (merged over the module's)."
  type        = map(string)
  default     = {}
}

variable "consumer_policy_statements" {
  description = "Extra Allow statements for the consumer's role ({sid, actions, resources, conditions}; exact ARNs; \"*\" only with a condition that scopes it). conditions is a list of {test, variable, values}, as in aws_iam_policy_document."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []
}

variable "consumer_marketplace_subscribe_enabled" {
  description = "Let the consumer's role subscribe to the AWS Marketplace offers of consumer_marketplace_product_ids (aws-marketplace:Subscribe scoped by product id, and ViewSubscriptions). Serverless models sold through Marketplace (Anthropic's among them) are subscribed to by the first principal that invokes them in an account: without this, and unless someone already subscribed, every job fails with AccessDeniedException. Set false where an administrator enables model access centrally."
  type        = bool
  default     = true
}

variable "consumer_marketplace_product_ids" {
  description = "AWS Marketplace product ids of the models the consumer may subscribe to (each model card in the Bedrock User Guide gives its id). The default is Claude Haiku 4.5's, the default model_id; models with no Marketplace offer (Amazon Nova, ...) need none."
  type        = list(string)
  default     = ["prod-xdkflymybwmvi"]

  validation {
    condition     = alltrue([for id in var.consumer_marketplace_product_ids : can(regex("^prod-[a-z0-9]+$", id))])
    error_message = "Each entry must be a Marketplace product id (prod-...)."
  }
}

################################################################################
# Producer (HTTP API -> main queue)
################################################################################

variable "producer_timeout" {
  description = "Timeout of the producer function in seconds (it only validates, stores and enqueues)."
  type        = number
  default     = 10

  validation {
    condition     = var.producer_timeout >= 1 && var.producer_timeout <= 900
    error_message = "producer_timeout must be between 1 and 900."
  }
}

variable "producer_memory_size" {
  description = "Memory of the producer function in MB (128-10240)."
  type        = number
  default     = 256

  validation {
    condition     = var.producer_memory_size >= 128 && var.producer_memory_size <= 10240
    error_message = "producer_memory_size must be between 128 and 10240."
  }
}

variable "producer_reserved_concurrent_executions" {
  description = "Reserved concurrency of the producer (also a cap on submissions per second). null leaves it unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.producer_reserved_concurrent_executions == null || try(var.producer_reserved_concurrent_executions >= 0, false)
    error_message = "producer_reserved_concurrent_executions must be null or at least 0."
  }
}

variable "producer_max_document_bytes" {
  description = "Largest document the producer accepts (MAX_DOCUMENT_BYTES); larger ones get 413. A Function URL request body is capped at 6 MB. The consumer applies the same limit to documents it reads from S3 (document_uri, uploads): larger ones fail their job without a model call."
  type        = number
  default     = 1000000

  validation {
    condition     = var.producer_max_document_bytes >= 1 && var.producer_max_document_bytes <= 6000000
    error_message = "producer_max_document_bytes must be between 1 and 6000000."
  }
}

variable "producer_inline_document_max_bytes" {
  description = "Documents larger than this go to the payload bucket under documents/ and the message carries document_uri (INLINE_DOCUMENT_MAX_BYTES; at most 240000). Smaller ones go there too when their message, JSON-escaped with labels, metadata and attributes, would exceed queue_max_message_size."
  type        = number
  default     = 200000

  validation {
    condition     = var.producer_inline_document_max_bytes >= 0 && var.producer_inline_document_max_bytes <= 240000
    error_message = "producer_inline_document_max_bytes must be between 0 and 240000."
  }
}

variable "producer_fifo_default_message_group_id" {
  description = "FIFO only: message group of jobs that set no metadata.message_group_id (FIFO_DEFAULT_MESSAGE_GROUP_ID). One group means strictly one job at a time."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^[[:graph:]]{1,128}$", var.producer_fifo_default_message_group_id))
    error_message = "producer_fifo_default_message_group_id must be 1-128 alphanumeric or punctuation characters."
  }
}

variable "producer_url_enabled" {
  description = "Expose the producer through a Lambda Function URL (POST /jobs, GET /jobs/{job_id})."
  type        = bool
  default     = true
}

variable "producer_url_authorization_type" {
  description = "Auth of the Function URL: AWS_IAM (callers sign with SigV4 and need lambda:InvokeFunctionUrl and lambda:InvokeFunction; see the producer_invoke_policy_json output) or NONE (public; requires producer_url_allow_unauthenticated = true)."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.producer_url_authorization_type)
    error_message = "producer_url_authorization_type must be AWS_IAM or NONE."
  }

  validation {
    condition     = var.producer_url_authorization_type != "NONE" || var.producer_url_allow_unauthenticated
    error_message = "WARNING: authorization NONE makes the job API public (anyone can spend your Bedrock budget). Set producer_url_allow_unauthenticated = true to confirm, and put your own auth in front."
  }
}

variable "producer_url_allow_unauthenticated" {
  description = "Explicit opt-in to a public (authorization NONE) Function URL."
  type        = bool
  default     = false
}

variable "producer_url_allowed_principals" {
  description = "AWS account ids or IAM principal ARNs of other accounts allowed to call the AWS_IAM Function URL (resource-based permissions). Principals of this account only need an identity policy (producer_invoke_policy_json)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.producer_url_allowed_principals : can(regex("^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+))$", p))])
    error_message = "Each entry must be a 12-digit account id or an IAM root, role or user ARN."
  }
}

variable "producer_url_cors" {
  description = "CORS settings of the Function URL for browser callers; null disables CORS."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["GET", "POST"])
    allow_headers     = optional(list(string), ["content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"])
    expose_headers    = optional(list(string), [])
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 300)
  })
  default = null
}

variable "producer_environment_variables" {
  description = "Extra environment variables of the producer (merged over the module's)."
  type        = map(string)
  default     = {}
}

################################################################################
# DLQ archiver (DLQ -> S3 archive + alert)
################################################################################

variable "archiver_timeout" {
  description = "Timeout of the DLQ archiver function in seconds; the DLQ visibility timeout is 6 x this."
  type        = number
  default     = 30

  validation {
    condition     = var.archiver_timeout >= 1 && var.archiver_timeout <= 900
    error_message = "archiver_timeout must be between 1 and 900."
  }
}

variable "archiver_memory_size" {
  description = "Memory of the DLQ archiver function in MB (128-10240)."
  type        = number
  default     = 256

  validation {
    condition     = var.archiver_memory_size >= 128 && var.archiver_memory_size <= 10240
    error_message = "archiver_memory_size must be between 128 and 10240."
  }
}

variable "archiver_batch_size" {
  description = "Records per DLQ archiver invocation (1-10)."
  type        = number
  default     = 10

  validation {
    condition     = var.archiver_batch_size >= 1 && var.archiver_batch_size <= 10
    error_message = "archiver_batch_size must be between 1 and 10."
  }
}

variable "archiver_max_requeues" {
  description = "How often the DLQ archiver sends a dead-lettered job back to the main queue before failing it when no invocation is known to have called the model for it (no job record, pending, or processing under an expired lease with no model attempt counted) (ARCHIVER_MAX_REQUEUES). Such jobs were dead-lettered by batch mechanics or crashed holders, not by their own failures: FIFO records handed back behind a failed head, invocations out of time or killed. 0 fails them at once."
  type        = number
  default     = 3

  validation {
    condition     = var.archiver_max_requeues >= 0 && var.archiver_max_requeues <= 10 && floor(var.archiver_max_requeues) == var.archiver_max_requeues
    error_message = "archiver_max_requeues must be a whole number between 0 and 10."
  }
}

variable "archiver_maximum_concurrency" {
  description = "Most concurrent DLQ archiver invocations (2-1000). Dead letters are rare; 2 is the minimum AWS allows."
  type        = number
  default     = 2

  validation {
    condition     = var.archiver_maximum_concurrency >= 2 && var.archiver_maximum_concurrency <= 1000
    error_message = "archiver_maximum_concurrency must be between 2 and 1000."
  }
}

variable "archiver_enabled" {
  description = "Whether the DLQ archiver's mapping polls the DLQ. false leaves dead letters in the DLQ (e.g. to inspect them before redriving)."
  type        = bool
  default     = true
}

################################################################################
# Jobs table
################################################################################

variable "jobs_table_name" {
  description = "Name of the DynamoDB jobs table. null uses `<name>-jobs`."
  type        = string
  default     = null

  validation {
    condition     = var.jobs_table_name == null || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.jobs_table_name))
    error_message = "jobs_table_name must be 3-255 letters, digits, underscores, hyphens or dots."
  }
}

variable "jobs_table_deletion_protection_enabled" {
  description = "Protect the jobs table against deletion (terraform destroy fails until this is false)."
  type        = bool
  default     = true
}

variable "jobs_table_ttl_days" {
  description = "Days after which job records expire through DynamoDB TTL on `expires_at` (JOB_TTL_DAYS). 0 keeps them forever."
  type        = number
  default     = 0

  validation {
    condition     = var.jobs_table_ttl_days >= 0 && floor(var.jobs_table_ttl_days) == var.jobs_table_ttl_days
    error_message = "jobs_table_ttl_days must be a whole number, 0 or more."
  }
}

################################################################################
# Buckets: payload (documents/, results/) and archive (failed/)
################################################################################

variable "bucket_force_destroy" {
  description = "Let terraform destroy delete the buckets while they still hold objects."
  type        = bool
  default     = false
}

variable "bucket_noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted in the module's buckets."
  type        = number
  default     = 30

  validation {
    condition     = var.bucket_noncurrent_version_expiration_days >= 1
    error_message = "bucket_noncurrent_version_expiration_days must be at least 1."
  }
}

variable "payload_bucket_name" {
  description = "Name of the payload bucket (documents/ and results/, and failed/ unless archive_bucket_enabled). null uses `<name>-<account>-<region>-payload`, or a hashed suffix when that exceeds 63 characters."
  type        = string
  default     = null

  validation {
    condition = var.payload_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.payload_bucket_name, "-"))) &&
      !strcontains(coalesce(var.payload_bucket_name, "-"), "..") &&
      !startswith(coalesce(var.payload_bucket_name, "-"), "xn--") &&
      !endswith(coalesce(var.payload_bucket_name, "-"), "-s3alias") &&
      !endswith(coalesce(var.payload_bucket_name, "-"), "--ol-s3")
    )
    error_message = "payload_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens; no two dots in a row, no xn-- prefix, no -s3alias or --ol-s3 suffix)."
  }
}

variable "payload_documents_expiration_days" {
  description = "Days after which documents offloaded by the producer (documents/) are deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.payload_documents_expiration_days >= 1
    error_message = "payload_documents_expiration_days must be at least 1."
  }
}

variable "payload_results_expiration_days" {
  description = "Days after which large results (results/) are deleted. Keep it at least as long as job records live (jobs_table_ttl_days), or result_uri will dangle."
  type        = number
  default     = 90

  validation {
    condition     = var.payload_results_expiration_days >= 1
    error_message = "payload_results_expiration_days must be at least 1."
  }
}

variable "archive_bucket_enabled" {
  description = "Keep archived failures (failed/) in a separate bucket, e.g. for different retention, access or replication. false uses the payload bucket."
  type        = bool
  default     = false
}

variable "archive_bucket_name" {
  description = "Name of the separate archive bucket. null uses `<name>-<account>-<region>-archive` (or a hashed suffix)."
  type        = string
  default     = null

  validation {
    condition = var.archive_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.archive_bucket_name, "-"))) &&
      !strcontains(coalesce(var.archive_bucket_name, "-"), "..") &&
      !startswith(coalesce(var.archive_bucket_name, "-"), "xn--") &&
      !endswith(coalesce(var.archive_bucket_name, "-"), "-s3alias") &&
      !endswith(coalesce(var.archive_bucket_name, "-"), "--ol-s3")
    )
    error_message = "archive_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens; no two dots in a row, no xn-- prefix, no -s3alias or --ol-s3 suffix)."
  }
}

variable "archive_failed_transition_days" {
  description = "Days after which archived failures (failed/) move to archive_failed_transition_storage_class (at least 30 for the IA classes). null never transitions. S3 does not transition objects under 128 KB by default, so small archives stay in STANDARD."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_failed_transition_days == null || try(var.archive_failed_transition_days >= (contains(["STANDARD_IA", "ONEZONE_IA"], var.archive_failed_transition_storage_class) ? 30 : 0), false)
    error_message = "archive_failed_transition_days must be at least 30 for STANDARD_IA and ONEZONE_IA (an S3 limit)."
  }
}

variable "archive_failed_transition_storage_class" {
  description = "Storage class archived failures move to."
  type        = string
  default     = "STANDARD_IA"

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.archive_failed_transition_storage_class)
    error_message = "archive_failed_transition_storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }
}

variable "archive_failed_expiration_days" {
  description = "Days after which archived failures are deleted. null keeps them forever."
  type        = number
  default     = 365

  validation {
    condition     = var.archive_failed_expiration_days == null || try(var.archive_failed_expiration_days >= 1 && (var.archive_failed_transition_days == null || var.archive_failed_expiration_days > var.archive_failed_transition_days), false)
    error_message = "archive_failed_expiration_days must be at least 1 and later than archive_failed_transition_days."
  }
}

################################################################################
# Results topic
################################################################################

variable "results_topic_enabled" {
  description = "Publish a \"job completed/failed\" notice per job to an SNS topic (RESULTS_TOPIC_ARN)."
  type        = bool
  default     = true
}

variable "results_topic_create" {
  description = "Create the `<name>-results` topic (when results_topic_enabled). false uses results_topic_arn, which may be a topic created in the same configuration."
  type        = bool
  default     = true
}

variable "results_topic_arn" {
  description = "Existing SNS topic for results notices (when results_topic_create is false)."
  type        = string
  default     = null

  validation {
    condition     = var.results_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", coalesce(var.results_topic_arn, "-")))
    error_message = "results_topic_arn must be an SNS topic ARN."
  }

  validation {
    condition     = !var.results_topic_enabled || var.results_topic_create || var.results_topic_arn != null
    error_message = "results_topic_arn is required when results_topic_enabled is true and results_topic_create is false."
  }
}

variable "results_topic_kms_key_arn" {
  description = "Customer managed KMS key of an existing results topic (results_topic_arn), so the consumer gets kms:GenerateDataKey and kms:Decrypt on it."
  type        = string
  default     = null

  validation {
    condition     = var.results_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", coalesce(var.results_topic_kms_key_arn, "-")))
    error_message = "results_topic_kms_key_arn must be a KMS key ARN."
  }
}

variable "results_topic_subscriptions" {
  description = "Subscriptions of the created results topic (e.g. an SQS queue of a downstream team)."
  type = list(object({
    protocol             = string
    endpoint             = string
    raw_message_delivery = optional(bool, false)
    filter_policy        = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.results_topic_subscriptions : contains(["email", "email-json", "https", "sqs", "lambda", "firehose", "application", "sms"], s.protocol)])
    error_message = "protocol must be one of email, email-json, https, sqs, lambda, firehose, application, sms (plain http is refused)."
  }
}

################################################################################
# Alarms and alerts topic
################################################################################

variable "alarm_create_topic" {
  description = "Create the alerts SNS topic (alarms, and the DLQ archiver's per-failure alerts). false uses alarm_topic_arn."
  type        = bool
  default     = true
}

variable "alarm_topic_arn" {
  description = "Existing alerts SNS topic ARN (when alarm_create_topic is false). Its policy must let cloudwatch.amazonaws.com publish."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_create_topic || var.alarm_topic_arn != null
    error_message = "alarm_topic_arn is required when alarm_create_topic is false."
  }

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", coalesce(var.alarm_topic_arn, "-")))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_topic_kms_key_arn" {
  description = "Customer managed KMS key encrypting an existing alerts topic, so the functions that publish to it get kms:GenerateDataKey and kms:Decrypt."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", coalesce(var.alarm_topic_kms_key_arn, "-")))
    error_message = "alarm_topic_kms_key_arn must be a KMS key ARN."
  }
}

variable "alarm_topic_kms_master_key_id" {
  description = "KMS key ARN of the created alerts topic when alarm_topic_create_kms_key is false; null then uses kms_key_arn. Its key policy must let cloudwatch.amazonaws.com use it (CloudWatch cannot publish through the AWS managed alias/aws/sns). Give an ARN, not an alias, so the publishing functions get kms permissions on it."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_kms_master_key_id == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", coalesce(var.alarm_topic_kms_master_key_id, "-")))
    error_message = "alarm_topic_kms_master_key_id must be a KMS key ARN (the AWS managed alias/aws/sns cannot be used for alarms)."
  }
}

variable "alarm_topic_create_kms_key" {
  description = "Create a customer managed KMS key (rotation on, policy letting CloudWatch alarms publish) for the alerts topic the module creates. false encrypts it with alarm_topic_kms_master_key_id, else kms_key_arn (one of them is then required: the alarms module checks it): an explicit switch, so that keys created in the same configuration can be passed in."
  type        = bool
  default     = true
}

variable "alarm_subscriptions" {
  description = "Subscriptions of the created alerts topic: on-call e-mail, or an https endpoint such as a PagerDuty/Opsgenie integration URL. E-mail addresses must confirm the subscription."
  type = list(object({
    protocol             = string
    endpoint             = string
    raw_message_delivery = optional(bool, false)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.alarm_subscriptions : contains(["email", "email-json", "https", "sms", "sqs", "lambda", "firehose", "application"], s.protocol)])
    error_message = "protocol must be one of email, email-json, https, sms, sqs, lambda, firehose, application (plain http is refused)."
  }
}

variable "alarm_actions_enabled" {
  description = "Whether alarms notify the alerts topic."
  type        = bool
  default     = true
}

variable "alarm_runbook_url" {
  description = "Where on-call reads docs/runbook.md (e.g. https://github.com/<org>/<repo>/blob/main/docs/runbook.md); each alarm description links to a section of it."
  type        = string
  default     = "docs/runbook.md"
}

variable "alarm_queue_depth_threshold" {
  description = "Alarm when more than this many jobs wait on the main queue (Maximum of ApproximateNumberOfMessagesVisible) for alarm_queue_depth_evaluation_periods consecutive periods."
  type        = number
  default     = 1000
}

variable "alarm_queue_depth_period" {
  description = "Period of the queue depth alarm in seconds (a multiple of 60 up to 3600)."
  type        = number
  default     = 300
}

variable "alarm_queue_depth_evaluation_periods" {
  description = "Consecutive periods above the threshold before the queue depth alarm fires."
  type        = number
  default     = 2
}

variable "alarm_oldest_message_age_threshold_seconds" {
  description = "Alarm when the oldest job message is older than this many seconds (for alarm_oldest_message_age_evaluation_periods x 5 min)."
  type        = number
  default     = 1800
}

variable "alarm_oldest_message_age_evaluation_periods" {
  description = "Consecutive 5-minute periods above the threshold before the oldest-message-age alarm fires."
  type        = number
  default     = 2
}

variable "alarm_dlq_threshold" {
  description = "Alarm when the DLQ holds more than this many messages within alarm_dlq_period (0: any message)."
  type        = number
  default     = 0
}

variable "alarm_dlq_period" {
  description = "Period of the DLQ alarm in seconds."
  type        = number
  default     = 60
}

variable "alarm_consumer_errors_threshold" {
  description = "Alarm when the consumer fails more than this many invocations per alarm_consumer_errors_period."
  type        = number
  default     = 10
}

variable "alarm_consumer_errors_period" {
  description = "Period of the consumer errors alarm in seconds."
  type        = number
  default     = 300
}

variable "alarm_consumer_throttles_threshold" {
  description = "Alarm when the consumer is throttled more than this many times per 5 minutes."
  type        = number
  default     = 0
}

variable "alarm_archiver_errors_threshold" {
  description = "Alarm when the DLQ archiver fails more than this many invocations per 5 minutes."
  type        = number
  default     = 0
}

variable "alarm_producer_errors_threshold" {
  description = "Alarm when the producer fails more than this many invocations per 5 minutes."
  type        = number
  default     = 5
}

variable "alarm_input_failures_threshold" {
  description = "Alarm when more than this many jobs fail because of their own input (JobsFailedOnInput: model validation errors, guardrail interventions, documents too large, unknown tasks) per alarm_input_failures_period. Such jobs are failed, archived and announced on the results topic without paging one by one; this alarm pages once when they pile up."
  type        = number
  default     = 10

  validation {
    condition     = var.alarm_input_failures_threshold >= 0
    error_message = "alarm_input_failures_threshold must be at least 0."
  }
}

variable "alarm_input_failures_period" {
  description = "Period of the input failures alarm in seconds (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_input_failures_period >= 60 && var.alarm_input_failures_period % 60 == 0
    error_message = "alarm_input_failures_period must be a multiple of 60."
  }
}

################################################################################
# Event sources: EventBridge rules and S3 uploads
################################################################################

variable "eventbridge_bus_name" {
  description = "Event bus of the module's EventBridge rules (name or ARN)."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^(arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/)?[A-Za-z0-9._/-]{1,256}$", var.eventbridge_bus_name))
    error_message = "eventbridge_bus_name must be an event bus name or ARN."
  }
}

variable "eventbridge_rules" {
  description = "EventBridge rules that turn matching events into jobs. Each sends `{\"job_id\": <event id>, \"task\": <task>, \"document\": <document_path value>, \"correlation_id\": <event id>, \"submitted_at\": <event time>}` (plus `labels` when given) to the main queue, or to the batch queue when `mode` (default default_mode) is \"batch\"; the event id as job id makes a redelivered event the same job. `message_group_id` (FIFO only) defaults to the rule name."
  type = list(object({
    name             = string
    description      = optional(string, "")
    event_pattern    = string
    task             = string
    document_path    = optional(string, "$.detail.document")
    labels           = optional(list(string))
    message_group_id = optional(string)
    enabled          = optional(bool, true)
    mode             = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.eventbridge_rules : can(regex("^[A-Za-z0-9._-]{1,40}$", r.name))])
    error_message = "Rule names must be 1-40 letters, digits, dots, hyphens or underscores (the module prefixes them with name)."
  }

  validation {
    condition     = length(distinct([for r in var.eventbridge_rules : r.name])) == length(var.eventbridge_rules)
    error_message = "Rule names must be unique."
  }

  validation {
    condition     = alltrue([for r in var.eventbridge_rules : can(jsondecode(r.event_pattern)) && length(r.event_pattern) <= 4096])
    error_message = "Each event_pattern must be valid JSON of at most 4096 characters."
  }

  validation {
    condition     = alltrue([for r in var.eventbridge_rules : can(regex("^\\$(\\.[A-Za-z0-9_-]+)+$", r.document_path))])
    error_message = "document_path must be a simple JSONPath such as $.detail.document."
  }

  validation {
    condition     = alltrue([for r in var.eventbridge_rules : contains(concat(["summarize", "classify"], keys(var.tasks)), r.task)])
    error_message = "Each rule's task must be summarize, classify or a key of tasks."
  }

  validation {
    # EventBridge rule names are at most 64 characters (EventBridge API reference, PutRule Name).
    condition     = alltrue([for r in var.eventbridge_rules : length("${var.name}-${r.name}") <= 64])
    error_message = "Each rule is named <name>-<rule name>, which EventBridge limits to 64 characters: shorten the rule name (or name)."
  }

  validation {
    condition     = alltrue([for r in var.eventbridge_rules : r.mode == null || contains(var.batch_enabled ? ["realtime", "batch"] : ["realtime"], coalesce(r.mode, "-"))])
    error_message = "A rule's mode must be realtime or batch, and batch needs batch_enabled = true."
  }
}

variable "s3_trigger_enabled" {
  description = "Turn objects uploaded to a bucket (under s3_trigger_prefix) into jobs via EventBridge: `{\"job_id\": <event id>, \"task\": s3_trigger_task, \"document_uri\": \"s3://<bucket>/<key>\"}`."
  type        = bool
  default     = false
}

variable "s3_trigger_create_bucket" {
  description = "Create the upload bucket (`<name>-<account>-<region>-inbox` unless s3_trigger_bucket_name). false uses the existing bucket s3_trigger_bucket_name."
  type        = bool
  default     = true

  validation {
    condition     = var.s3_trigger_create_bucket || !var.s3_trigger_enabled || var.s3_trigger_bucket_name != null
    error_message = "s3_trigger_bucket_name is required when s3_trigger_create_bucket is false."
  }
}

variable "s3_trigger_bucket_name" {
  description = "Name of the upload bucket (created, or existing when s3_trigger_create_bucket is false)."
  type        = string
  default     = null

  validation {
    condition = var.s3_trigger_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.s3_trigger_bucket_name, "-"))) &&
      !strcontains(coalesce(var.s3_trigger_bucket_name, "-"), "..") &&
      !startswith(coalesce(var.s3_trigger_bucket_name, "-"), "xn--") &&
      !endswith(coalesce(var.s3_trigger_bucket_name, "-"), "-s3alias") &&
      !endswith(coalesce(var.s3_trigger_bucket_name, "-"), "--ol-s3")
    )
    error_message = "s3_trigger_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens; no two dots in a row, no xn-- prefix, no -s3alias or --ol-s3 suffix)."
  }
}

variable "s3_trigger_manage_bucket_notification" {
  description = "For an existing bucket (s3_trigger_create_bucket = false): let the module turn on the bucket's EventBridge notifications with aws_s3_bucket_notification. That resource owns the bucket's ENTIRE notification configuration: applying it replaces any other notifications (SNS, SQS, Lambda) the bucket has, and destroying the module removes them all. So it is off by default: enable EventBridge on the bucket yourself (`aws s3api put-bucket-notification-configuration --notification-configuration '{\"EventBridgeConfiguration\": {}}'` merged with the existing configuration), or set true only for a bucket that has no other notifications."
  type        = bool
  default     = false
}

variable "s3_trigger_prefix" {
  description = "Only objects whose key starts with this prefix become jobs (\"\" for all)."
  type        = string
  default     = "incoming/"

  validation {
    condition     = !strcontains(var.s3_trigger_prefix, "*")
    error_message = "s3_trigger_prefix must not contain *."
  }
}

variable "s3_trigger_suffix" {
  description = "Only objects whose key ends with this suffix (e.g. `.txt`) become jobs (null for any)."
  type        = string
  default     = null

  validation {
    condition     = var.s3_trigger_suffix == null || !strcontains(coalesce(var.s3_trigger_suffix, "-"), "*")
    error_message = "s3_trigger_suffix must not contain *."
  }
}

variable "s3_trigger_message_group_id" {
  description = "FIFO only: message group of jobs created from uploads."
  type        = string
  default     = "s3-trigger"
}

variable "s3_trigger_task" {
  description = "Task of jobs created from uploads."
  type        = string
  default     = "summarize"

  validation {
    condition     = contains(concat(["summarize", "classify"], keys(var.tasks)), var.s3_trigger_task)
    error_message = "s3_trigger_task must be summarize, classify or a key of tasks."
  }
}

variable "s3_trigger_mode" {
  description = "Mode of jobs created from uploads: realtime (main queue) or batch (batch queue, needs batch_enabled). null uses default_mode."
  type        = string
  default     = null

  validation {
    condition     = var.s3_trigger_mode == null || contains(var.batch_enabled ? ["realtime", "batch"] : ["realtime"], coalesce(var.s3_trigger_mode, "-"))
    error_message = "s3_trigger_mode must be realtime or batch, and batch needs batch_enabled = true."
  }
}

variable "s3_trigger_expiration_days" {
  description = "Days after which uploads under s3_trigger_prefix are deleted from a created upload bucket. null keeps them."
  type        = number
  default     = null

  validation {
    condition     = var.s3_trigger_expiration_days == null || try(var.s3_trigger_expiration_days >= 1, false)
    error_message = "s3_trigger_expiration_days must be null or at least 1."
  }
}

################################################################################
# Dashboard
################################################################################

variable "dashboard_enabled" {
  description = "Create a CloudWatch dashboard (queues, functions, jobs, model latency and tokens)."
  type        = bool
  default     = true
}

variable "dashboard_name" {
  description = "Name of the CloudWatch dashboard. null uses `<name>-<region>`: dashboards are account-wide, so the region keeps instances of the same name in several regions apart."
  type        = string
  default     = null

  validation {
    condition     = var.dashboard_name == null || can(regex("^[A-Za-z0-9_-]{1,255}$", coalesce(var.dashboard_name, "-")))
    error_message = "dashboard_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

################################################################################
# Batch mode (Bedrock batch inference)
################################################################################

variable "batch_enabled" {
  description = "Create batch mode: the batch queue, the batch_submitter and batch_collector functions, the Bedrock service role, their schedules, the state-change rule and the batch alarms. false creates none of it, and no entry point may use mode \"batch\"."
  type        = bool
  default     = false
}

variable "default_mode" {
  description = "Mode of a job that names none (DEFAULT_MODE of the producer, and of the EventBridge rules, the S3 trigger and the schedules that set no mode): realtime (main queue, on-demand model calls) or batch (batch queue, Bedrock batch inference at about half the price, results within batch_timeout_hours)."
  type        = string
  default     = "realtime"

  validation {
    condition     = contains(["realtime", "batch"], var.default_mode)
    error_message = "default_mode must be realtime or batch."
  }

  validation {
    condition     = var.default_mode != "batch" || var.batch_enabled
    error_message = "default_mode = \"batch\" needs batch_enabled = true."
  }
}

variable "batch_min_records" {
  description = "Fewest waiting jobs the submitter puts into one Bedrock batch inference job (BATCH_MIN_RECORDS); fewer wait for the next run, or fall back to realtime after batch_max_wait_hours. Bedrock's per-model minimum is commonly 100 (Bedrock User Guide, batch inference quotas)."
  type        = number
  default     = 100

  validation {
    condition     = var.batch_min_records >= 1 && floor(var.batch_min_records) == var.batch_min_records && var.batch_min_records <= var.batch_max_records
    error_message = "batch_min_records must be a whole number between 1 and batch_max_records."
  }
}

variable "batch_max_records" {
  description = "Most jobs in one Bedrock batch inference job (BATCH_MAX_RECORDS). Bedrock allows at most 50,000 records per job."
  type        = number
  default     = 50000

  validation {
    condition     = var.batch_max_records >= 1 && var.batch_max_records <= 50000 && floor(var.batch_max_records) == var.batch_max_records
    error_message = "batch_max_records must be a whole number between 1 and 50000 (Bedrock's records-per-job quota)."
  }
}

variable "batch_max_wait_hours" {
  description = "Hours a batch job may wait on the batch queue for enough company (BATCH_MAX_WAIT_HOURS); older jobs go to the realtime queue. Must stay below the batch queue's retention, or waiting jobs could expire unseen."
  type        = number
  default     = 24

  validation {
    condition     = var.batch_max_wait_hours > 0 && var.batch_max_wait_hours * 3600 < var.batch_queue_message_retention_seconds
    error_message = "batch_max_wait_hours must be above 0 and below batch_queue_message_retention_seconds / 3600."
  }
}

variable "batch_timeout_hours" {
  description = "timeoutDurationInHours of the Bedrock batch inference jobs (BATCH_TIMEOUT_HOURS): records not processed by then are Expired and go back to the realtime queue. Bedrock accepts 24-168."
  type        = number
  default     = 24

  validation {
    condition     = var.batch_timeout_hours >= 24 && var.batch_timeout_hours <= 168 && floor(var.batch_timeout_hours) == var.batch_timeout_hours
    error_message = "batch_timeout_hours must be a whole number between 24 and 168 (Bedrock's range)."
  }
}

variable "batch_max_jobs_in_flight" {
  description = "Most Bedrock batch inference jobs of this stack submitted and not yet finished (BATCH_MAX_JOBS_IN_FLIGHT); keep it within the model's quota of concurrent batch jobs."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_max_jobs_in_flight >= 1 && floor(var.batch_max_jobs_in_flight) == var.batch_max_jobs_in_flight
    error_message = "batch_max_jobs_in_flight must be a whole number of at least 1."
  }
}

variable "batch_queue_message_retention_seconds" {
  description = "How long the batch queue (and its DLQ) keeps a waiting job (60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.batch_queue_message_retention_seconds >= 60 && var.batch_queue_message_retention_seconds <= 1209600
    error_message = "batch_queue_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "batch_submit_schedule_expression" {
  description = "When the submitter runs (EventBridge Scheduler expression, in batch_schedule_timezone): nightly at 02:00 by default."
  type        = string
  default     = "cron(0 2 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.batch_submit_schedule_expression))
    error_message = "batch_submit_schedule_expression must be a cron(...), rate(...) or at(...) expression."
  }
}

variable "batch_collect_schedule_expression" {
  description = "How often the collector polls the batch jobs in flight (EventBridge Scheduler expression). Bedrock's state-change events are best effort; the poll catches missed ones."
  type        = string
  default     = "rate(30 minutes)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.batch_collect_schedule_expression))
    error_message = "batch_collect_schedule_expression must be a cron(...), rate(...) or at(...) expression."
  }
}

variable "batch_schedule_timezone" {
  description = "Time zone (IANA name) of the submitter and collector schedules."
  type        = string
  default     = "UTC"
}

variable "batch_submitter_timeout" {
  description = "Timeout of the batch submitter in seconds (it reads the batch queue and writes the input file of up to batch_max_records jobs)."
  type        = number
  default     = 900

  validation {
    condition     = var.batch_submitter_timeout >= 1 && var.batch_submitter_timeout <= 900
    error_message = "batch_submitter_timeout must be between 1 and 900 (the Lambda limit)."
  }
}

variable "batch_submitter_memory_size" {
  description = "Memory of the batch submitter in MB."
  type        = number
  default     = 1024
}

variable "batch_collector_timeout" {
  description = "Timeout of the batch collector in seconds (it reads a finished job's output and completes its jobs)."
  type        = number
  default     = 900

  validation {
    condition     = var.batch_collector_timeout >= 1 && var.batch_collector_timeout <= 900
    error_message = "batch_collector_timeout must be between 1 and 900 (the Lambda limit)."
  }
}

variable "batch_collector_memory_size" {
  description = "Memory of the batch collector in MB."
  type        = number
  default     = 1024
}

variable "batch_submitter_policy_statements" {
  description = "Extra Allow statements for the batch submitter's role, in the shape of consumer_policy_statements. The submitter reads each batch job's document to write the batch input: a document_uri outside the S3 trigger's prefix and the payload bucket (a schedule's, say) needs s3:GetObject here as well as in consumer_policy_statements, or its jobs can only run realtime."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []
}

variable "batch_role_name" {
  description = "IAM role name of the Bedrock batch service role (assumed by bedrock.amazonaws.com for the batch inference jobs). null uses `<name>-batch-bedrock-<region>`."
  type        = string
  default     = null

  validation {
    condition     = var.batch_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.batch_role_name, "-")))
    error_message = "batch_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "alarm_batch_backlog_age_threshold_hours" {
  description = "Alarm when the oldest job on the batch queue is older than this many hours (jobs wait there up to batch_max_wait_hours by design, so keep it above that)."
  type        = number
  default     = 30

  validation {
    condition     = var.alarm_batch_backlog_age_threshold_hours > var.batch_max_wait_hours
    error_message = "alarm_batch_backlog_age_threshold_hours must be above batch_max_wait_hours, or the alarm fires for jobs that wait as designed."
  }
}

variable "alarm_batch_jobs_failed_threshold" {
  description = "Alarm when more than this many Bedrock batch inference jobs end Failed (BatchJobsFailed) or Expired (BatchJobsExpired) per hour."
  type        = number
  default     = 0
}

variable "alarm_batch_errors_threshold" {
  description = "Alarm when the batch submitter or collector fails more than this many invocations per 5 minutes."
  type        = number
  default     = 0
}

################################################################################
# Scheduled jobs (EventBridge Scheduler)
################################################################################

variable "schedules" {
  description = "Jobs created on a schedule. Each becomes an EventBridge Scheduler schedule `<name>-<schedule name>` that sends `{\"job_id\": \"<schedule name>-<scheduled time>\", \"task\", \"document\" or \"document_uri\", \"labels\", \"submitted_at\": <scheduled time>, \"metadata\": {\"schedule\": <name>, \"schedule_execution_id\", \"schedule_attempt_number\"}}` to the main queue, or to the batch queue when `mode` (default default_mode) is batch. `schedule_expression` is cron(...), rate(...) or at(...) in `timezone`; give exactly one of `document` and `document_uri` (s3://bucket/key, readable by the consumer). `message_group_id` (FIFO only) defaults to the schedule name."
  type = list(object({
    name                = string
    schedule_expression = string
    timezone            = optional(string, "UTC")
    task                = string
    document            = optional(string)
    document_uri        = optional(string)
    labels              = optional(list(string))
    mode                = optional(string)
    message_group_id    = optional(string)
    enabled             = optional(bool, true)
  }))
  default = []

  validation {
    # Scheduler names: 1-64 of [0-9a-zA-Z-_.] (Scheduler API reference, CreateSchedule Name). The name
    # also starts each run's job id, which must start with a letter or a digit.
    condition     = alltrue([for s in var.schedules : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", s.name)) && length("${var.name}-${s.name}") <= 64])
    error_message = "Schedule names must be 1-40 letters, digits, dots, hyphens or underscores, starting with a letter or digit, and <name>-<schedule name> at most 64 characters."
  }

  validation {
    condition     = length(distinct([for s in var.schedules : s.name])) == length(var.schedules) && alltrue([for s in var.schedules : !contains(["batch-submit", "batch-collect"], s.name)])
    error_message = "Schedule names must be unique and not batch-submit or batch-collect (the batch functions' own schedules)."
  }

  validation {
    condition     = alltrue([for s in var.schedules : can(regex("^(cron|rate|at)\\(.+\\)$", s.schedule_expression))])
    error_message = "schedule_expression must be a cron(...), rate(...) or at(...) expression."
  }

  validation {
    condition     = alltrue([for s in var.schedules : (s.document == null) != (s.document_uri == null)])
    error_message = "Each schedule needs exactly one of document and document_uri."
  }

  validation {
    condition     = alltrue([for s in var.schedules : s.document_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", coalesce(s.document_uri, "-")))])
    error_message = "document_uri must be s3://<bucket>/<key>."
  }

  validation {
    condition     = alltrue([for s in var.schedules : contains(concat(["summarize", "classify"], keys(var.tasks)), s.task)])
    error_message = "Each schedule's task must be summarize, classify or a key of tasks."
  }

  validation {
    condition     = alltrue([for s in var.schedules : s.mode == null || contains(var.batch_enabled ? ["realtime", "batch"] : ["realtime"], coalesce(s.mode, "-"))])
    error_message = "A schedule's mode must be realtime or batch, and batch needs batch_enabled = true."
  }
}

################################################################################
# Guardrails (guardrails.tf)
################################################################################

variable "guardrail_id" {
  description = "Id or ARN of an existing Bedrock guardrail every Converse call carries (GUARDRAIL_ID), unless a task names its own or \"none\". Needs guardrail_version; not with guardrail_create. The consumer may apply exactly the guardrails in use (bedrock:ApplyGuardrail). Batch inference applies no guardrail: a job whose task has one runs realtime."
  type        = string
  default     = null

  validation {
    condition     = var.guardrail_id == null || can(regex("^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))$", coalesce(var.guardrail_id, "-")))
    error_message = "guardrail_id must be a guardrail id (lowercase letters and digits) or a guardrail ARN."
  }

  validation {
    condition     = !(var.guardrail_id != null && var.guardrail_create)
    error_message = "Set guardrail_id (an existing guardrail) or guardrail_create = true, not both."
  }
}

variable "guardrail_version" {
  description = "Version of the guardrail named by guardrail_id: a number, or DRAFT (the working copy: fine for trying it out, but it changes under the consumer with every edit)."
  type        = string
  default     = null

  validation {
    condition     = var.guardrail_version == null || can(regex("^(([1-9][0-9]{0,7})|(DRAFT))$", coalesce(var.guardrail_version, "-")))
    error_message = "guardrail_version must be DRAFT or a version number (1-99999999)."
  }

  validation {
    condition     = (var.guardrail_version == null) == (var.guardrail_id == null)
    error_message = "guardrail_version is required with guardrail_id and only with it (a created guardrail gets its version from the module)."
  }
}

variable "guardrail_create" {
  description = "Create a guardrail (aws_bedrock_guardrail with guardrail_content_filters, and optionally guardrail_pii_entities and guardrail_denied_topics) and a numbered version of it, and apply it to every Converse call."
  type        = bool
  default     = false
}

variable "guardrail_name" {
  description = "Name of the created guardrail; default: the service name (name)."
  type        = string
  default     = null

  validation {
    condition     = var.guardrail_name == null || can(regex("^[0-9a-zA-Z_-]{1,50}$", coalesce(var.guardrail_name, "-")))
    error_message = "guardrail_name must be 1-50 letters, digits, hyphens or underscores."
  }
}

variable "guardrail_blocked_input_messaging" {
  description = "What the created guardrail answers instead when it blocks a prompt (the job fails either way; this text is not stored)."
  type        = string
  default     = "This document was blocked by the guardrail."

  validation {
    condition     = length(var.guardrail_blocked_input_messaging) >= 1 && length(var.guardrail_blocked_input_messaging) <= 500
    error_message = "guardrail_blocked_input_messaging must be 1-500 characters."
  }
}

variable "guardrail_blocked_outputs_messaging" {
  description = "What the created guardrail answers instead when it blocks the model's reply."
  type        = string
  default     = "The model's answer was blocked by the guardrail."

  validation {
    condition     = length(var.guardrail_blocked_outputs_messaging) >= 1 && length(var.guardrail_blocked_outputs_messaging) <= 500
    error_message = "guardrail_blocked_outputs_messaging must be 1-500 characters."
  }
}

variable "guardrail_content_filters" {
  description = "Content filters of the created guardrail: filter type (SEXUAL, VIOLENCE, HATE, INSULTS, MISCONDUCT, PROMPT_ATTACK) -> input and output strength (NONE, LOW, MEDIUM, HIGH). PROMPT_ATTACK filters input only (output NONE)."
  type = map(object({
    input_strength  = string
    output_strength = string
  }))
  default = {
    SEXUAL        = { input_strength = "HIGH", output_strength = "HIGH" }
    VIOLENCE      = { input_strength = "MEDIUM", output_strength = "MEDIUM" }
    HATE          = { input_strength = "HIGH", output_strength = "HIGH" }
    INSULTS       = { input_strength = "MEDIUM", output_strength = "MEDIUM" }
    MISCONDUCT    = { input_strength = "MEDIUM", output_strength = "MEDIUM" }
    PROMPT_ATTACK = { input_strength = "MEDIUM", output_strength = "NONE" }
  }

  validation {
    condition     = alltrue([for type in keys(var.guardrail_content_filters) : contains(["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"], type)])
    error_message = "guardrail_content_filters types must be SEXUAL, VIOLENCE, HATE, INSULTS, MISCONDUCT or PROMPT_ATTACK."
  }

  validation {
    condition     = alltrue([for f in values(var.guardrail_content_filters) : contains(["NONE", "LOW", "MEDIUM", "HIGH"], f.input_strength) && contains(["NONE", "LOW", "MEDIUM", "HIGH"], f.output_strength)])
    error_message = "guardrail_content_filters strengths must be NONE, LOW, MEDIUM or HIGH."
  }

  validation {
    # API_GuardrailContentFilterConfig: the prompt attack filter applies to input only.
    condition     = try(var.guardrail_content_filters["PROMPT_ATTACK"].output_strength, "NONE") == "NONE"
    error_message = "The PROMPT_ATTACK filter's output_strength must be NONE (it filters input only)."
  }

  validation {
    # CreateGuardrail needs at least one policy.
    condition     = !var.guardrail_create || length(var.guardrail_content_filters) + length(var.guardrail_pii_entities) + length(var.guardrail_denied_topics) > 0
    error_message = "A created guardrail needs at least one content filter, PII entity or denied topic."
  }
}

variable "guardrail_pii_entities" {
  description = "PII the created guardrail acts on: entity type (API_GuardrailPiiEntityConfig, e.g. EMAIL, PHONE, US_SOCIAL_SECURITY_NUMBER) -> BLOCK or ANONYMIZE. Empty: no sensitive information policy. A guardrail that masks has acted (GUARDRAIL_INTERVENED); when Converse then stops with guardrail_intervened, the job fails as a blocked one does: try masking on sample documents first."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([for type in keys(var.guardrail_pii_entities) : contains([
      "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
      "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
      "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
      "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
      "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
      "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
      "VEHICLE_IDENTIFICATION_NUMBER",
    ], type)])
    error_message = "guardrail_pii_entities keys must be Bedrock PII entity types (API_GuardrailPiiEntityConfig), e.g. EMAIL or US_SOCIAL_SECURITY_NUMBER."
  }

  validation {
    condition     = alltrue([for action in values(var.guardrail_pii_entities) : contains(["BLOCK", "ANONYMIZE"], action)])
    error_message = "guardrail_pii_entities actions must be BLOCK or ANONYMIZE."
  }
}

variable "guardrail_denied_topics" {
  description = "Denied topics of the created guardrail: name, definition and up to five example phrases each. Empty: no topic policy."
  type = list(object({
    name       = string
    definition = string
    examples   = optional(list(string), [])
  }))
  default = []

  validation {
    # API_GuardrailTopicConfig: name 1-100 characters of [0-9a-zA-Z-_ !?.].
    condition     = alltrue([for t in var.guardrail_denied_topics : can(regex("^[0-9a-zA-Z_ !?.-]{1,100}$", t.name))]) && length(distinct([for t in var.guardrail_denied_topics : t.name])) == length(var.guardrail_denied_topics)
    error_message = "Denied topic names must be unique, 1-100 letters, digits, spaces or -_!?. characters."
  }

  validation {
    condition     = alltrue([for t in var.guardrail_denied_topics : length(t.definition) >= 1 && length(t.definition) <= 200])
    error_message = "A denied topic's definition must be 1-200 characters."
  }

  validation {
    condition     = alltrue([for t in var.guardrail_denied_topics : length(t.examples) <= 5 && alltrue([for e in t.examples : length(e) >= 1 && length(e) <= 100])])
    error_message = "A denied topic takes at most 5 examples of 1-100 characters each."
  }

  validation {
    condition     = length(var.guardrail_denied_topics) <= 30
    error_message = "A guardrail takes at most 30 denied topics."
  }
}
