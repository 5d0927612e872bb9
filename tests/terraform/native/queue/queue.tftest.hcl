# Plan-level behaviour of modules/queue: the visibility rule, the redrive pair, retention, long
# polling and encryption. The queue ARNs are fixed during plan so the JSON policies can be read.

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
  target          = aws_sqs_queue.this
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:jobs"
    id  = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
  }
}

override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq"
    id  = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-dlq"
  }
}

variables {
  name = "jobs"
}

run "standard_queue_defaults" {
  command = plan

  # 6 x consumer timeout (50) + batching window (0).
  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 300
    error_message = "Default visibility timeout must be 6 x 50 + 0 = 300, got ${aws_sqs_queue.this.visibility_timeout_seconds}."
  }
  assert {
    condition     = output.queue_visibility_timeout_seconds == 300
    error_message = "The queue_visibility_timeout_seconds output must report the derived value."
  }
  assert {
    condition     = aws_sqs_queue.this.name == "jobs" && aws_sqs_queue.dlq.name == "jobs-dlq"
    error_message = "Standard queues are named <name> and <name>-dlq."
  }
  assert {
    condition     = aws_sqs_queue.this.fifo_queue == false && aws_sqs_queue.dlq.fifo_queue == false
    error_message = "Queues must be standard queues by default."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["DenyInsecureTransport"]
    error_message = "Without senders the main queue policy only denies insecure transport."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.dlq.statement : s.sid] == ["DenyInsecureTransport"]
    error_message = "Without EventBridge dead letters the DLQ policy only denies insecure transport."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : s.effect == "Deny" && contains(s.actions, "sqs:*") && anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && contains(c.values, "false")])])
    error_message = "The main queue policy must deny requests without TLS."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.dlq.statement : s.effect == "Deny" && contains(s.actions, "sqs:*") && anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && contains(c.values, "false")])])
    error_message = "The DLQ policy must deny requests without TLS."
  }
  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 1209600 && aws_sqs_queue.dlq.message_retention_seconds == 1209600
    error_message = "Both queues keep messages 14 days by default."
  }
  assert {
    condition     = aws_sqs_queue.this.receive_wait_time_seconds == 20 && aws_sqs_queue.dlq.receive_wait_time_seconds == 20
    error_message = "Both queues long-poll for 20 s."
  }
  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled == true && aws_sqs_queue.dlq.sqs_managed_sse_enabled == true
    error_message = "SSE-SQS must be on by default for both queues."
  }
  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == null && aws_sqs_queue.dlq.kms_master_key_id == null
    error_message = "No KMS key by default."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_policy.this.redrive_policy).deadLetterTargetArn == "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq"
    error_message = "The redrive policy must point at the DLQ: ${aws_sqs_queue_redrive_policy.this.redrive_policy}"
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_policy.this.redrive_policy).maxReceiveCount == 3
    error_message = "maxReceiveCount defaults to 3."
  }
  assert {
    condition     = aws_sqs_queue_redrive_policy.this.queue_url == "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
    error_message = "The redrive policy belongs to the main queue."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq.redrive_allow_policy).redrivePermission == "byQueue"
    error_message = "The DLQ must allow redrive only by named queues."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq.redrive_allow_policy).sourceQueueArns == ["arn:aws:sqs:eu-west-1:123456789012:jobs"]
    error_message = "Only the main queue may use the DLQ: ${aws_sqs_queue_redrive_allow_policy.dlq.redrive_allow_policy}"
  }
  assert {
    condition     = aws_sqs_queue_redrive_allow_policy.dlq.queue_url == "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-dlq"
    error_message = "The redrive-allow policy belongs to the DLQ."
  }
  assert {
    condition     = output.dlq_arn == "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq" && output.queue_arn == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    error_message = "Outputs must expose the queue and DLQ ARNs."
  }
}

run "visibility_rule_with_timeout_100_and_window_10" {
  command = plan

  variables {
    consumer_timeout_seconds                    = 100
    consumer_maximum_batching_window_in_seconds = 10
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 610
    error_message = "6 x 100 + 10 = 610, got ${aws_sqs_queue.this.visibility_timeout_seconds}."
  }
}

run "visibility_rule_with_the_root_defaults" {
  command = plan

  variables {
    consumer_timeout_seconds                    = 50
    consumer_maximum_batching_window_in_seconds = 5
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 305
    error_message = "6 x 50 + 5 = 305, got ${aws_sqs_queue.this.visibility_timeout_seconds}."
  }
}

run "visibility_override_above_the_rule_is_kept" {
  command = plan

  variables {
    visibility_timeout_seconds = 900
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 900
    error_message = "An override above the rule must be used as given."
  }
  assert {
    condition     = output.queue_visibility_timeout_seconds == 900
    error_message = "The output must report the override."
  }
}

run "visibility_override_equal_to_the_rule_is_accepted" {
  command = plan

  variables {
    consumer_timeout_seconds                    = 100
    consumer_maximum_batching_window_in_seconds = 10
    visibility_timeout_seconds                  = 610
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 610
    error_message = "An override equal to the rule is valid."
  }
}

run "max_receive_count_is_configurable" {
  command = plan

  variables {
    max_receive_count = 7
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_policy.this.redrive_policy).maxReceiveCount == 7
    error_message = "maxReceiveCount must follow max_receive_count."
  }
}

run "kms_key_replaces_sse_sqs" {
  command = plan

  variables {
    kms_master_key_id = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" && aws_sqs_queue.dlq.kms_master_key_id == aws_sqs_queue.this.kms_master_key_id
    error_message = "Both queues must use the given KMS key."
  }
  assert {
    condition     = aws_sqs_queue.this.kms_data_key_reuse_period_seconds == 300 && aws_sqs_queue.dlq.kms_data_key_reuse_period_seconds == 300
    error_message = "The data key reuse period applies with KMS."
  }
  assert {
    condition     = output.queue_kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The output must report the key."
  }
}

run "dlq_settings_follow_their_variables" {
  command = plan

  variables {
    dlq_name                       = "failed-jobs"
    dlq_message_retention_seconds  = 1209600
    message_retention_seconds      = 345600
    dlq_visibility_timeout_seconds = 600
  }

  assert {
    condition     = aws_sqs_queue.dlq.name == "failed-jobs"
    error_message = "dlq_name must name the DLQ."
  }
  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 345600 && aws_sqs_queue.dlq.message_retention_seconds == 1209600
    error_message = "Retention must follow the variables."
  }
  assert {
    condition     = aws_sqs_queue.dlq.visibility_timeout_seconds == 600
    error_message = "The DLQ visibility timeout must follow dlq_visibility_timeout_seconds."
  }
}
