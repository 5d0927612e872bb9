################################################################################
# General
################################################################################

variable "name" {
  description = "Prefix of the alarm names (and of the topic name when the module creates the topic)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be 1-200 letters, digits, hyphens or underscores."
  }
}

variable "runbook_url" {
  description = "Base URL of the runbook; each alarm description links to `<runbook_url>#<anchor>` (anchors: runbook-queue-depth, runbook-oldest-message-age, runbook-dlq-not-empty, runbook-consumer-errors, runbook-consumer-throttles, runbook-archiver-errors, runbook-producer-errors, runbook-input-failures). Point it at where on-call reads docs/runbook.md, e.g. https://github.com/<org>/<repo>/blob/main/docs/runbook.md."
  type        = string
  default     = "docs/runbook.md"

  validation {
    condition     = length(var.runbook_url) > 0 && length(var.runbook_url) <= 700 && !strcontains(var.runbook_url, "#")
    error_message = "runbook_url must be non-empty, at most 700 characters (alarm descriptions are capped at 1024) and carry no #fragment."
  }
}

variable "actions_enabled" {
  description = "Whether the alarms notify the topic (false keeps the alarms but silences them, e.g. during a migration)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for the alarms, the topic and its key."
  type        = map(string)
  default     = {}
}

################################################################################
# Topic
################################################################################

variable "create_topic" {
  description = "Create the SNS topic the alarms notify. false uses topic_arn."
  type        = bool
  default     = true
}

variable "topic_arn" {
  description = "Existing SNS topic ARN for alarm and OK actions (when create_topic is false). Its access policy must let cloudwatch.amazonaws.com publish, and a KMS key encrypting it must let CloudWatch use it."
  type        = string
  default     = null

  validation {
    condition     = var.create_topic || var.topic_arn != null
    error_message = "topic_arn is required when create_topic is false."
  }

  validation {
    condition     = var.topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", coalesce(var.topic_arn, "-")))
    error_message = "topic_arn must be an SNS topic ARN."
  }
}

variable "topic_name" {
  description = "Name of the created topic. null uses `<name>-alerts`."
  type        = string
  default     = null
}

variable "topic_kms_master_key_id" {
  description = "KMS key (ARN, id or alias) of the created topic when create_topic_kms_key is false. Its key policy must allow cloudwatch.amazonaws.com to use it."
  type        = string
  default     = null

  validation {
    # The AWS managed key's policy cannot grant CloudWatch access: every alarm notification would be dropped.
    condition     = var.topic_kms_master_key_id == null || !contains(["alias/aws/sns", "aws/sns"], coalesce(var.topic_kms_master_key_id, "-"))
    error_message = "CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key alias/aws/sns; set create_topic_kms_key (the module creates a suitable key) or pass a customer managed key."
  }
}

variable "create_topic_kms_key" {
  description = "When the module creates the topic, also create a customer managed KMS key (rotation on) whose policy lets CloudWatch alarms publish. false encrypts the topic with topic_kms_master_key_id instead. An explicit switch rather than \"when topic_kms_master_key_id is null\", so that a key created in the same apply can be passed in."
  type        = bool
  default     = true

  validation {
    # Nullness of a key created in the same apply is unknown at plan: this check then waits for apply.
    condition     = !var.create_topic || var.create_topic_kms_key || var.topic_kms_master_key_id != null
    error_message = "topic_kms_master_key_id is required when create_topic is true and create_topic_kms_key is false (CloudWatch cannot publish through alias/aws/sns)."
  }
}

variable "topic_kms_key_deletion_window_in_days" {
  description = "Deletion window of the created KMS key (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.topic_kms_key_deletion_window_in_days >= 7 && var.topic_kms_key_deletion_window_in_days <= 30
    error_message = "topic_kms_key_deletion_window_in_days must be between 7 and 30."
  }
}

variable "topic_subscriptions" {
  description = "Subscriptions of the created topic. email/email-json need confirming by the recipient; https endpoints (PagerDuty, Opsgenie, chat webhooks) confirm automatically or through the provider."
  type = list(object({
    protocol             = string
    endpoint             = string
    raw_message_delivery = optional(bool, false)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.topic_subscriptions : contains(["email", "email-json", "https", "sms", "sqs", "lambda", "firehose", "application"], s.protocol)])
    error_message = "protocol must be one of email, email-json, https, sms, sqs, lambda, firehose, application (plain http is refused: alerts leave AWS only over TLS)."
  }

  validation {
    condition     = alltrue([for s in var.topic_subscriptions : s.protocol != "https" || startswith(s.endpoint, "https://")])
    error_message = "An https subscription's endpoint must start with https://."
  }
}

################################################################################
# Queue alarms
################################################################################

variable "queue_name" {
  description = "Name of the main queue (alarms on depth and age of the oldest message)."
  type        = string
}

variable "dlq_name" {
  description = "Name of the dead-letter queue (alarm when it holds any message)."
  type        = string
}

variable "queue_depth_threshold" {
  description = "Alarm when the main queue has more than this many visible messages (Maximum per period) for queue_depth_evaluation_periods consecutive periods."
  type        = number
  default     = 1000

  validation {
    condition     = var.queue_depth_threshold >= 0
    error_message = "queue_depth_threshold must be at least 0."
  }
}

variable "queue_depth_period" {
  description = "Period, in seconds, of the queue depth alarm."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 180, 240, 300, 600, 900, 1800, 3600], var.queue_depth_period)
    error_message = "queue_depth_period must be a multiple of 60 (SQS metrics are per minute) up to 3600: 60, 120, 180, 240, 300, 600, 900, 1800 or 3600."
  }
}

variable "queue_depth_evaluation_periods" {
  description = "Consecutive periods above the threshold before the queue depth alarm fires."
  type        = number
  default     = 2

  validation {
    condition     = var.queue_depth_evaluation_periods >= 1 && var.queue_depth_evaluation_periods * var.queue_depth_period <= 86400
    error_message = "queue_depth_evaluation_periods must be at least 1, and periods x evaluation periods at most one day."
  }
}

variable "oldest_message_age_threshold_seconds" {
  description = "Alarm when the oldest message of the main queue is older than this many seconds (work is stuck or far behind)."
  type        = number
  default     = 1800

  validation {
    condition     = var.oldest_message_age_threshold_seconds >= 60
    error_message = "oldest_message_age_threshold_seconds must be at least 60."
  }
}

variable "oldest_message_age_period" {
  description = "Period, in seconds, of the oldest-message-age alarm."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 180, 240, 300, 600, 900, 1800, 3600], var.oldest_message_age_period)
    error_message = "oldest_message_age_period must be 60, 120, 180, 240, 300, 600, 900, 1800 or 3600."
  }
}

variable "oldest_message_age_evaluation_periods" {
  description = "Consecutive periods above the threshold before the oldest-message-age alarm fires."
  type        = number
  default     = 2

  validation {
    condition     = var.oldest_message_age_evaluation_periods >= 1
    error_message = "oldest_message_age_evaluation_periods must be at least 1."
  }
}

variable "dlq_threshold" {
  description = "Alarm when the DLQ has more than this many visible messages (0: any message)."
  type        = number
  default     = 0

  validation {
    condition     = var.dlq_threshold >= 0
    error_message = "dlq_threshold must be at least 0."
  }
}

variable "dlq_period" {
  description = "Period, in seconds, of the DLQ alarm (one period is evaluated)."
  type        = number
  default     = 60

  validation {
    condition     = contains([60, 120, 180, 240, 300, 600, 900], var.dlq_period)
    error_message = "dlq_period must be 60, 120, 180, 240, 300, 600 or 900."
  }
}

################################################################################
# Function alarms
################################################################################

variable "consumer_function_name" {
  description = "Name of the consumer Lambda function (errors and throttles alarms)."
  type        = string
}

variable "consumer_errors_threshold" {
  description = "Alarm when the consumer has more than this many failed invocations in one period (records that fail individually are reported as batch item failures and do not count)."
  type        = number
  default     = 10

  validation {
    condition     = var.consumer_errors_threshold >= 0
    error_message = "consumer_errors_threshold must be at least 0."
  }
}

variable "consumer_errors_period" {
  description = "Period, in seconds, of the consumer errors alarm."
  type        = number
  default     = 300

  validation {
    condition     = var.consumer_errors_period >= 60 && var.consumer_errors_period % 60 == 0
    error_message = "consumer_errors_period must be a multiple of 60."
  }
}

variable "consumer_errors_evaluation_periods" {
  description = "Consecutive periods above the threshold before the consumer errors alarm fires."
  type        = number
  default     = 1

  validation {
    condition     = var.consumer_errors_evaluation_periods >= 1
    error_message = "consumer_errors_evaluation_periods must be at least 1."
  }
}

variable "consumer_throttles_threshold" {
  description = "Alarm when the consumer is throttled more than this many times in one period. The mapping's maximum_concurrency should prevent throttles, so any throttle points at account concurrency or a reservation below maximum_concurrency."
  type        = number
  default     = 0

  validation {
    condition     = var.consumer_throttles_threshold >= 0
    error_message = "consumer_throttles_threshold must be at least 0."
  }
}

variable "consumer_throttles_period" {
  description = "Period, in seconds, of the consumer throttles alarm."
  type        = number
  default     = 300

  validation {
    condition     = var.consumer_throttles_period >= 60 && var.consumer_throttles_period % 60 == 0
    error_message = "consumer_throttles_period must be a multiple of 60."
  }
}

variable "archiver_function_name" {
  description = "Name of the DLQ archiver Lambda function (errors alarm; required when archiver_alarms_enabled)."
  type        = string
  default     = null
}

variable "archiver_alarms_enabled" {
  description = "Create the archiver's errors alarm. A switch rather than \"when archiver_function_name is set\", so that the name may come from a resource created in the same apply."
  type        = bool
  default     = false

  validation {
    condition     = !var.archiver_alarms_enabled || var.archiver_function_name != null
    error_message = "archiver_function_name is required when archiver_alarms_enabled is true."
  }
}

variable "archiver_errors_threshold" {
  description = "Alarm when the DLQ archiver has more than this many failed invocations in one period."
  type        = number
  default     = 0

  validation {
    condition     = var.archiver_errors_threshold >= 0
    error_message = "archiver_errors_threshold must be at least 0."
  }
}

variable "archiver_errors_period" {
  description = "Period, in seconds, of the archiver errors alarm."
  type        = number
  default     = 300

  validation {
    condition     = var.archiver_errors_period >= 60 && var.archiver_errors_period % 60 == 0
    error_message = "archiver_errors_period must be a multiple of 60."
  }
}

variable "producer_function_name" {
  description = "Name of the producer Lambda function (errors alarm; required when producer_alarms_enabled)."
  type        = string
  default     = null
}

variable "producer_alarms_enabled" {
  description = "Create the producer's errors alarm. A switch rather than \"when producer_function_name is set\", so that the name may come from a resource created in the same apply."
  type        = bool
  default     = false

  validation {
    condition     = !var.producer_alarms_enabled || var.producer_function_name != null
    error_message = "producer_function_name is required when producer_alarms_enabled is true."
  }
}

variable "producer_errors_threshold" {
  description = "Alarm when the producer has more than this many failed invocations (HTTP 5xx from the function itself) in one period."
  type        = number
  default     = 5

  validation {
    condition     = var.producer_errors_threshold >= 0
    error_message = "producer_errors_threshold must be at least 0."
  }
}

variable "producer_errors_period" {
  description = "Period, in seconds, of the producer errors alarm."
  type        = number
  default     = 300

  validation {
    condition     = var.producer_errors_period >= 60 && var.producer_errors_period % 60 == 0
    error_message = "producer_errors_period must be a multiple of 60."
  }
}

variable "application_alarms_enabled" {
  description = "Create the alarms on the functions' own metrics (EMF, namespace metrics_namespace, dimension service = service_name): input failures. A switch rather than \"when metrics_namespace is set\", like the other optional alarms."
  type        = bool
  default     = false

  validation {
    condition     = !var.application_alarms_enabled || (var.metrics_namespace != null && var.service_name != null)
    error_message = "metrics_namespace and service_name are required when application_alarms_enabled is true."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the functions publish their metrics to (POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
  default     = null
}

variable "service_name" {
  description = "Value of the functions' service dimension (POWERTOOLS_SERVICE_NAME)."
  type        = string
  default     = null
}

variable "input_failures_threshold" {
  description = "Alarm when more than this many jobs fail because of their own input (metric JobsFailedOnInput: model validation errors, guardrail interventions, documents too large, unknown tasks) in one period. These jobs are not paged one by one."
  type        = number
  default     = 10

  validation {
    condition     = var.input_failures_threshold >= 0
    error_message = "input_failures_threshold must be at least 0."
  }
}

variable "input_failures_period" {
  description = "Period, in seconds, of the input failures alarm."
  type        = number
  default     = 300

  validation {
    condition     = var.input_failures_period >= 60 && var.input_failures_period % 60 == 0
    error_message = "input_failures_period must be a multiple of 60."
  }
}

################################################################################
# Batch mode
################################################################################

variable "batch_alarms_enabled" {
  description = "Create the batch mode alarms (batch jobs failed or expired, batch backlog age, batch DLQ not empty, submitter and collector errors). A switch, so that the names may come from resources created in the same apply."
  type        = bool
  default     = false
}

variable "batch_queue_name" {
  description = "Name of the batch queue (batch backlog age alarm)."
  type        = string
  default     = null
}

variable "batch_dlq_name" {
  description = "Name of the batch queue's DLQ."
  type        = string
  default     = null
}

variable "batch_submitter_function_name" {
  description = "Name of the batch submitter function."
  type        = string
  default     = null
}

variable "batch_collector_function_name" {
  description = "Name of the batch collector function."
  type        = string
  default     = null
}

variable "batch_backlog_age_threshold_seconds" {
  description = "Alarm when the oldest job on the batch queue is older than this many seconds (Maximum over 5 minutes)."
  type        = number
  default     = 108000
}

variable "batch_jobs_failed_threshold" {
  description = "Alarm when more than this many batch inference jobs end Failed (BatchJobsFailed), or Expired (BatchJobsExpired), per hour."
  type        = number
  default     = 0
}

variable "batch_errors_threshold" {
  description = "Alarm when the batch submitter or collector fails more than this many invocations per 5 minutes."
  type        = number
  default     = 0
}
