# The root module's queue wiring: the visibility rule (6 x consumer_timeout + batching window),
# overrides, FIFO names. Details of the queues themselves are tested in native/queue.

mock_provider "aws" {
  # A real partition name (mocks are random strings): ARNs and the Powertools layer's publisher
  # account are derived from it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}
mock_provider "archive" {}

run "visibility_rule_with_the_defaults" {
  command = plan

  assert {
    condition     = output.queue_visibility_timeout_seconds == 305
    error_message = "6 x 50 (consumer_timeout) + 5 (batching window) = 305, got ${output.queue_visibility_timeout_seconds}."
  }
  assert {
    condition     = output.queue_name == "bedrock-jobs" && output.dlq_name == "bedrock-jobs-dlq"
    error_message = "Standard queues are named <name> and <name>-dlq."
  }
}

run "visibility_rule_with_timeout_100_and_window_10" {
  command = plan

  variables {
    consumer_timeout                            = 100
    consumer_maximum_batching_window_in_seconds = 10
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 610
    error_message = "6 x 100 + 10 = 610, got ${output.queue_visibility_timeout_seconds}."
  }
}

run "visibility_override_above_the_rule_is_kept" {
  command = plan

  variables {
    queue_visibility_timeout_seconds = 1800
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 1800
    error_message = "An override above the rule must be used as given."
  }
}

run "visibility_override_equal_to_the_rule_is_accepted" {
  command = plan

  variables {
    consumer_timeout                            = 100
    consumer_maximum_batching_window_in_seconds = 10
    queue_visibility_timeout_seconds            = 610
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 610
    error_message = "An override equal to the rule is valid."
  }
}

run "fifo_queues_get_fifo_names" {
  command = plan

  variables {
    queue_fifo                                  = true
    consumer_maximum_batching_window_in_seconds = 0
  }

  assert {
    condition     = output.queue_name == "bedrock-jobs.fifo" && output.dlq_name == "bedrock-jobs-dlq.fifo"
    error_message = "A FIFO main queue and its FIFO DLQ end in .fifo: ${output.queue_name}, ${output.dlq_name}."
  }
  assert {
    condition     = output.queue_visibility_timeout_seconds == 300
    error_message = "FIFO has no batching window: 6 x 50 + 0 = 300."
  }
}

run "custom_name" {
  command = plan

  variables {
    name = "docs-ai"
  }

  assert {
    condition     = output.queue_name == "docs-ai" && output.dlq_name == "docs-ai-dlq" && output.jobs_table_name == "docs-ai-jobs"
    error_message = "name prefixes the queues and the table."
  }
  assert {
    condition     = output.producer_function_name == "docs-ai-producer" && output.consumer_function_name == "docs-ai-consumer" && output.archiver_function_name == "docs-ai-dlq-archiver"
    error_message = "name prefixes the functions."
  }
}
