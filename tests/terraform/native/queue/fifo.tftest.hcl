# FIFO: both queues get the .fifo suffix and the FIFO settings; high throughput and content-based
# deduplication are opt-in.

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
    arn = "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
  }
}

override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq.fifo"
  }
}

variables {
  name       = "jobs"
  fifo_queue = true
}

run "fifo_queue_and_fifo_dlq" {
  command = plan

  assert {
    condition     = aws_sqs_queue.this.name == "jobs.fifo"
    error_message = "A FIFO main queue is named <name>.fifo, got ${aws_sqs_queue.this.name}."
  }
  assert {
    condition     = aws_sqs_queue.dlq.name == "jobs-dlq.fifo"
    error_message = "A FIFO main queue needs a FIFO DLQ named <name>-dlq.fifo, got ${aws_sqs_queue.dlq.name}."
  }
  assert {
    condition     = aws_sqs_queue.this.fifo_queue == true && aws_sqs_queue.dlq.fifo_queue == true
    error_message = "Both queues must be FIFO queues."
  }
  assert {
    condition     = aws_sqs_queue.this.content_based_deduplication == false && aws_sqs_queue.dlq.content_based_deduplication == false
    error_message = "Content-based deduplication is off unless asked for."
  }
  assert {
    condition     = output.queue_name == "jobs.fifo" && output.dlq_name == "jobs-dlq.fifo" && output.queue_fifo == true
    error_message = "Outputs must report the FIFO names."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_policy.this.redrive_policy).deadLetterTargetArn == "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq.fifo"
    error_message = "The FIFO queue must redrive to the FIFO DLQ."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq.redrive_allow_policy).sourceQueueArns == ["arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"]
    error_message = "Only the FIFO main queue may use the FIFO DLQ."
  }
  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled == true && aws_sqs_queue.dlq.sqs_managed_sse_enabled == true
    error_message = "FIFO queues are encrypted with SSE-SQS by default too."
  }
}

run "content_based_deduplication" {
  command = plan

  variables {
    content_based_deduplication = true
  }

  assert {
    condition     = aws_sqs_queue.this.content_based_deduplication == true && aws_sqs_queue.dlq.content_based_deduplication == true
    error_message = "content_based_deduplication must reach both FIFO queues."
  }
}

run "high_throughput_fifo" {
  command = plan

  variables {
    high_throughput_fifo = true
  }

  assert {
    condition     = aws_sqs_queue.this.deduplication_scope == "messageGroup" && aws_sqs_queue.this.fifo_throughput_limit == "perMessageGroupId"
    error_message = "High throughput FIFO needs deduplication_scope = messageGroup and fifo_throughput_limit = perMessageGroupId on the main queue."
  }
  assert {
    condition     = aws_sqs_queue.dlq.deduplication_scope == "messageGroup" && aws_sqs_queue.dlq.fifo_throughput_limit == "perMessageGroupId"
    error_message = "The FIFO DLQ gets the high-throughput settings too."
  }
}

run "custom_dlq_name_gets_the_fifo_suffix" {
  command = plan

  variables {
    dlq_name = "failed-jobs"
  }

  assert {
    condition     = aws_sqs_queue.dlq.name == "failed-jobs.fifo"
    error_message = "dlq_name is given without .fifo; the module adds it."
  }
}
