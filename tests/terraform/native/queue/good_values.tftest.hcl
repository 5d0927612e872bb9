# Boundary values every validation of modules/queue must accept.

mock_provider "aws" {
  # A real partition name (mocks are random strings): ARNs and the Powertools layer's publisher
  # account are derived from it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name = "jobs"
}

run "accepts_the_lower_bounds" {
  command = plan

  variables {
    name                              = "j"
    max_receive_count                 = 1
    message_retention_seconds         = 60
    dlq_message_retention_seconds     = 60
    receive_wait_time_seconds         = 0
    dlq_receive_wait_time_seconds     = 0
    delay_seconds                     = 0
    max_message_size                  = 1024
    consumer_timeout_seconds          = 1
    kms_data_key_reuse_period_seconds = 60
    dlq_visibility_timeout_seconds    = 0
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 6
    error_message = "6 x 1 + 0 = 6."
  }
  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 60 && aws_sqs_queue.dlq.message_retention_seconds == 60
    error_message = "Retention must follow the variables."
  }
}

run "accepts_the_upper_bounds" {
  command = plan

  variables {
    name                                        = format("%071d", 0)
    max_receive_count                           = 1000
    delay_seconds                               = 900
    max_message_size                            = 1048576
    consumer_timeout_seconds                    = 900
    consumer_maximum_batching_window_in_seconds = 300
    kms_data_key_reuse_period_seconds           = 86400
    dlq_visibility_timeout_seconds              = 43200
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 5700
    error_message = "6 x 900 + 300 = 5700."
  }
  assert {
    condition     = length(aws_sqs_queue.dlq.name) == 75
    error_message = "A 71-character name leaves room for -dlq."
  }
}

run "accepts_a_12_hour_visibility_override" {
  command = plan

  variables {
    visibility_timeout_seconds = 43200
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 43200
    error_message = "43200 is the SQS maximum and a valid override."
  }
}

run "accepts_valid_sender_arns" {
  command = plan

  variables {
    allowed_eventbridge_rule_arns     = ["arn:aws:events:eu-west-1:123456789012:rule/jobs-rule", "arn:aws:events:eu-west-1:123456789012:rule/custom-bus/jobs-rule"]
    allowed_sns_topic_arns            = ["arn:aws:sns:eu-west-1:123456789012:uploads"]
    allowed_s3_bucket_arns            = ["arn:aws:s3:::my-upload-bucket"]
    dlq_allowed_eventbridge_rule_arns = ["arn:aws-us-gov:events:us-gov-west-1:123456789012:rule/jobs-rule"]
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["AllowEventBridgeRules", "AllowSnsTopics", "AllowS3BucketNotifications", "DenyInsecureTransport"]
    error_message = "Each kind of sender gets its own statement in the main queue policy."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.dlq.statement : s.sid] == ["AllowEventBridgeDeadLetters", "DenyInsecureTransport"]
    error_message = "EventBridge dead letters get a statement in the DLQ policy."
  }
  assert {
    condition     = contains([for c in data.aws_iam_policy_document.this.statement[2].condition : c.variable], "aws:SourceAccount")
    error_message = "S3 notifications must be pinned to the bucket owner's account."
  }
}

run "accepts_a_fifo_queue_with_every_fifo_option" {
  command = plan

  variables {
    fifo_queue                  = true
    content_based_deduplication = true
    high_throughput_fifo        = true
    name                        = format("%071d", 0)
  }

  assert {
    condition     = length(aws_sqs_queue.this.name) == 76 && length(aws_sqs_queue.dlq.name) == 80
    error_message = "71 characters + -dlq + .fifo is the SQS maximum of 80."
  }
}
