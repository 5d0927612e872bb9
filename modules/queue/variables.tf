################################################################################
# Queue
################################################################################

variable "name" {
  description = "Name of the main queue, without the `.fifo` suffix (added automatically when `fifo_queue` is true)."
  type        = string

  validation {
    # SQS allows 80 characters including the 5-character `.fifo` suffix and the `-dlq` suffix of the DLQ.
    condition     = can(regex("^[A-Za-z0-9_-]{1,71}$", var.name))
    error_message = "The name must be 1-71 characters of letters, digits, hyphens and underscores (SQS allows 80 including the `-dlq` and `.fifo` suffixes)."
  }
}

variable "fifo_queue" {
  description = "Create FIFO queues (main queue and DLQ both get the `.fifo` suffix)."
  type        = bool
  default     = false
}

variable "content_based_deduplication" {
  description = "FIFO only: deduplicate on a SHA-256 of the body when a sender gives no deduplication id."
  type        = bool
  default     = false

  validation {
    condition     = !var.content_based_deduplication || var.fifo_queue
    error_message = "content_based_deduplication is only valid for FIFO queues (set fifo_queue = true)."
  }
}

variable "high_throughput_fifo" {
  description = "FIFO only: high-throughput mode (`deduplication_scope = \"messageGroup\"`, `fifo_throughput_limit = \"perMessageGroupId\"`)."
  type        = bool
  default     = false

  validation {
    condition     = !var.high_throughput_fifo || var.fifo_queue
    error_message = "high_throughput_fifo is only valid for FIFO queues (set fifo_queue = true)."
  }
}

variable "message_retention_seconds" {
  description = "How long the main queue keeps a message (60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600 && floor(var.message_retention_seconds) == var.message_retention_seconds
    error_message = "message_retention_seconds must be a whole number between 60 and 1209600 (14 days)."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait of the main queue (0-20 s). The Lambda poller long-polls anyway; 20 s helps other consumers such as the operator CLI."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "receive_wait_time_seconds must be between 0 and 20."
  }
}

variable "delay_seconds" {
  description = "Delivery delay applied to every new message on the main queue (0-900 s)."
  type        = number
  default     = 0

  validation {
    condition     = var.delay_seconds >= 0 && var.delay_seconds <= 900
    error_message = "delay_seconds must be between 0 and 900."
  }
}

variable "max_message_size" {
  description = "Largest message the main queue accepts, in bytes (1,024 to 1,048,576)."
  type        = number
  default     = 262144

  validation {
    condition     = var.max_message_size >= 1024 && var.max_message_size <= 1048576
    error_message = "max_message_size must be between 1024 and 1048576 bytes."
  }
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the Lambda function that consumes the main queue; the visibility timeout is derived from it."
  type        = number
  default     = 50

  validation {
    condition     = var.consumer_timeout_seconds >= 1 && var.consumer_timeout_seconds <= 900
    error_message = "consumer_timeout_seconds must be between 1 and 900 (the Lambda limit)."
  }
}

variable "consumer_maximum_batching_window_in_seconds" {
  description = "Maximum batching window of the consumer's event source mapping; added to the derived visibility timeout."
  type        = number
  default     = 0

  validation {
    condition     = var.consumer_maximum_batching_window_in_seconds >= 0 && var.consumer_maximum_batching_window_in_seconds <= 300
    error_message = "consumer_maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the main queue. null derives AWS's recommendation, 6 x consumer_timeout_seconds + consumer_maximum_batching_window_in_seconds; an override below that is rejected."
  type        = number
  default     = null

  validation {
    condition     = var.visibility_timeout_seconds == null || try(var.visibility_timeout_seconds >= 6 * var.consumer_timeout_seconds + var.consumer_maximum_batching_window_in_seconds && var.visibility_timeout_seconds <= 43200, false)
    error_message = "visibility_timeout_seconds must be at least 6 x consumer_timeout_seconds + consumer_maximum_batching_window_in_seconds (AWS's recommendation for Lambda consumers) and at most 43200 (12 hours)."
  }
}

variable "kms_master_key_id" {
  description = "KMS key (id, ARN or alias) for both queues. null uses SSE-SQS (SQS-owned keys, no extra cost). With a customer managed key, its key policy must let every sender (e.g. events.amazonaws.com) use it."
  type        = string
  default     = null
}

variable "kms_data_key_reuse_period_seconds" {
  description = "With a KMS key: how long SQS reuses a data key before calling KMS again (60-86400 s). Longer is cheaper."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be between 60 and 86400."
  }
}

variable "max_receive_count" {
  description = "Receives after which a message moves to the DLQ (redrive policy `maxReceiveCount`)."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number between 1 and 1000."
  }
}

################################################################################
# Dead-letter queue
################################################################################

variable "dlq_name" {
  description = "Name of the DLQ without `.fifo`. null uses `<name>-dlq`."
  type        = string
  default     = null

  validation {
    condition     = var.dlq_name == null || can(regex("^[A-Za-z0-9_-]{1,75}$", var.dlq_name))
    error_message = "dlq_name must be 1-75 characters of letters, digits, hyphens and underscores."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message (60 s to 14 days). For a standard queue a message keeps its original enqueue time in the DLQ, so this should be at least the main queue's retention."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }

  validation {
    condition     = var.dlq_message_retention_seconds >= var.message_retention_seconds
    error_message = "dlq_message_retention_seconds must be at least message_retention_seconds, or dead-lettered messages of a standard queue can expire before anyone reads them."
  }
}

variable "dlq_visibility_timeout_seconds" {
  description = "Visibility timeout of the DLQ; must cover the timeout of whatever consumes it (the DLQ archiver)."
  type        = number
  default     = 180

  validation {
    condition     = var.dlq_visibility_timeout_seconds >= 0 && var.dlq_visibility_timeout_seconds <= 43200
    error_message = "dlq_visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "dlq_receive_wait_time_seconds" {
  description = "Long-polling wait of the DLQ (0-20 s)."
  type        = number
  default     = 20

  validation {
    condition     = var.dlq_receive_wait_time_seconds >= 0 && var.dlq_receive_wait_time_seconds <= 20
    error_message = "dlq_receive_wait_time_seconds must be between 0 and 20."
  }
}

################################################################################
# Queue policy (who may send)
################################################################################

variable "allowed_eventbridge_rule_arns" {
  description = "EventBridge rule ARNs allowed to send to the main queue (principal events.amazonaws.com, condition aws:SourceArn)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.allowed_eventbridge_rule_arns : can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:rule/", arn))])
    error_message = "Every entry must be an EventBridge rule ARN (arn:<partition>:events:<region>:<account>:rule/...)."
  }
}

variable "allowed_sns_topic_arns" {
  description = "SNS topic ARNs allowed to send to the main queue (principal sns.amazonaws.com, condition aws:SourceArn). The messages must follow the queue message contract, so use raw message delivery."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.allowed_sns_topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", arn))])
    error_message = "Every entry must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>)."
  }
}

variable "allowed_s3_bucket_arns" {
  description = "S3 bucket ARNs allowed to send event notifications directly to the main queue (principal s3.amazonaws.com, conditions aws:SourceArn and aws:SourceAccount)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.allowed_s3_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn))])
    error_message = "Every entry must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>)."
  }
}

variable "dlq_allowed_eventbridge_rule_arns" {
  description = "EventBridge rule ARNs allowed to send events they failed to deliver to the DLQ (targets' dead_letter_config; standard queues only, EventBridge cannot dead-letter to FIFO)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.dlq_allowed_eventbridge_rule_arns : can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:rule/", arn))])
    error_message = "Every entry must be an EventBridge rule ARN."
  }

  validation {
    condition     = !var.fifo_queue || length(var.dlq_allowed_eventbridge_rule_arns) == 0
    error_message = "EventBridge cannot dead-letter to a FIFO queue; leave dlq_allowed_eventbridge_rule_arns empty with fifo_queue = true."
  }
}

variable "tags" {
  description = "Tags for both queues."
  type        = map(string)
  default     = {}
}
