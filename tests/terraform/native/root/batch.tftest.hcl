# Batch mode and scheduled jobs (batch.tf, schedules.tf): the batch_enabled switch, the schedules'
# messages, and every validation of the batch and schedule variables. Validation runs target the
# rule(s) named in the comment above them (variable[index of its validation block]);
# test_terraform_native.py re-runs them without expect_failures and checks that exactly those rules fail.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}
mock_provider "archive" {}

override_data {
  target = data.aws_region.current
  values = {
    region = "us-east-1"
  }
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
  }
}

run "batch_disabled_creates_nothing_of_batch_mode" {
  command = plan

  assert {
    condition     = length(module.batch_queue) == 0 && length(module.batch_submitter) == 0 && length(module.batch_collector) == 0
    error_message = "No batch queue or batch functions unless batch_enabled."
  }
  assert {
    condition     = length(aws_iam_role.batch_bedrock) == 0 && length(aws_iam_role.batch_scheduler) == 0 && length(aws_scheduler_schedule.batch) == 0 && length(aws_cloudwatch_event_rule.batch_job_state_change) == 0
    error_message = "No Bedrock service role, schedules or state-change rule unless batch_enabled."
  }
  assert {
    condition     = length(aws_scheduler_schedule.jobs) == 0 && length(aws_iam_role.schedules) == 0
    error_message = "No job schedules (nor their role) without schedules."
  }
  assert {
    condition     = output.batch_queue_url == null && output.batch_role_arn == null && !contains(keys(module.alarms.alarm_names), "batch_jobs_failed")
    error_message = "No batch outputs or alarms unless batch_enabled."
  }
}

run "batch_enabled_creates_batch_mode" {
  command = plan

  variables {
    batch_enabled = true
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "cron(0 1 * * ? *)"
        task                = "summarize"
        document            = "Nightly <digest>."
        mode                = "batch"
      },
    ]
  }

  assert {
    condition     = length(module.batch_queue) == 1 && module.batch_queue[0].queue_name == "bedrock-jobs-batch"
    error_message = "batch_enabled creates the batch queue."
  }
  assert {
    condition     = output.batch_submitter_function_name == "bedrock-jobs-batch-submitter" && output.batch_collector_function_name == "bedrock-jobs-batch-collector"
    error_message = "batch_enabled creates the submitter and the collector."
  }
  assert {
    condition     = aws_iam_role.batch_bedrock[0].name == "bedrock-jobs-batch-bedrock-us-east-1"
    error_message = "The Bedrock service role is named after the module and the region."
  }
  assert {
    condition     = aws_scheduler_schedule.batch["submit"].schedule_expression == "cron(0 2 * * ? *)" && aws_scheduler_schedule.batch["collect"].schedule_expression == "rate(30 minutes)"
    error_message = "The submitter runs nightly and the collector polls every 30 minutes by default."
  }
  assert {
    condition     = jsondecode(aws_scheduler_schedule.jobs["nightly"].target[0].input).job_id == "nightly-<aws.scheduler.scheduled-time>" && strcontains(aws_scheduler_schedule.jobs["nightly"].target[0].input, "\"nightly-<aws.scheduler.scheduled-time>\"")
    error_message = "A scheduled job's id is the schedule's name and its scheduled time, written as the literal keyword."
  }
  assert {
    condition     = jsondecode(aws_scheduler_schedule.jobs["nightly"].target[0].input).document == "Nightly <digest>." && jsondecode(aws_scheduler_schedule.jobs["nightly"].target[0].input).metadata.schedule == "nightly"
    error_message = "The scheduled message carries the document and the schedule's name."
  }
  assert {
    condition     = contains(keys(module.alarms.alarm_names), "batch_jobs_failed") && contains(keys(module.alarms.alarm_names), "batch_backlog_age") && module.alarms.alarm_names["batch_jobs_expired"] == "bedrock-jobs-batch-jobs-expired"
    error_message = "batch_enabled creates the batch alarms."
  }
}

# rule: default_mode[0]
run "rejects_an_unknown_default_mode" {
  command   = plan
  parallel  = true
  state_key = "rejects_an_unknown_default_mode"

  variables {
    default_mode = "nightly"
  }

  expect_failures = [var.default_mode]
}

# rule: default_mode[1]
run "rejects_default_mode_batch_without_batch_mode" {
  command   = plan
  parallel  = true
  state_key = "rejects_default_mode_batch_without_batch_mode"

  variables {
    default_mode = "batch"
  }

  expect_failures = [var.default_mode]
}

# rule: batch_min_records[0]
run "rejects_batch_min_records_above_max" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_min_records_above_max"

  variables {
    batch_min_records = 60000
  }

  expect_failures = [var.batch_min_records]
}

# rule: batch_max_records[0]
run "rejects_batch_max_records_above_the_bedrock_quota" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_max_records_above_the_bedrock_quota"

  variables {
    batch_max_records = 60000
  }

  expect_failures = [var.batch_max_records]
}

# rule: batch_max_wait_hours[0]
run "rejects_a_zero_batch_max_wait" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_zero_batch_max_wait"

  variables {
    batch_max_wait_hours = 0
  }

  expect_failures = [var.batch_max_wait_hours]
}

# rule: batch_timeout_hours[0]
run "rejects_a_batch_timeout_below_24_hours" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_batch_timeout_below_24_hours"

  variables {
    batch_timeout_hours = 12
  }

  expect_failures = [var.batch_timeout_hours]
}

# rule: batch_max_jobs_in_flight[0]
run "rejects_zero_batch_jobs_in_flight" {
  command   = plan
  parallel  = true
  state_key = "rejects_zero_batch_jobs_in_flight"

  variables {
    batch_max_jobs_in_flight = 0
  }

  expect_failures = [var.batch_max_jobs_in_flight]
}

# rule: batch_queue_message_retention_seconds[0]
run "rejects_batch_retention_above_14_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_retention_above_14_days"

  variables {
    batch_queue_message_retention_seconds = 2000000
  }

  expect_failures = [var.batch_queue_message_retention_seconds]
}

# rule: batch_submit_schedule_expression[0]
run "rejects_a_bare_cron_submit_schedule" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_bare_cron_submit_schedule"

  variables {
    batch_submit_schedule_expression = "0 2 * * *"
  }

  expect_failures = [var.batch_submit_schedule_expression]
}

# rule: batch_collect_schedule_expression[0]
run "rejects_a_prose_collect_schedule" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_prose_collect_schedule"

  variables {
    batch_collect_schedule_expression = "every 30 minutes"
  }

  expect_failures = [var.batch_collect_schedule_expression]
}

# rule: batch_submitter_timeout[0]
run "rejects_a_submitter_timeout_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_submitter_timeout_above_900"

  variables {
    batch_submitter_timeout = 901
  }

  expect_failures = [var.batch_submitter_timeout]
}

# rule: batch_collector_timeout[0]
run "rejects_a_collector_timeout_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_collector_timeout_above_900"

  variables {
    batch_collector_timeout = 901
  }

  expect_failures = [var.batch_collector_timeout]
}

# rule: batch_role_name[0]
run "rejects_a_batch_role_name_with_spaces" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_batch_role_name_with_spaces"

  variables {
    batch_role_name = "bad role name"
  }

  expect_failures = [var.batch_role_name]
}

# rule: alarm_batch_backlog_age_threshold_hours[0]
run "rejects_a_backlog_alarm_below_the_max_wait" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_backlog_alarm_below_the_max_wait"

  variables {
    alarm_batch_backlog_age_threshold_hours = 10
  }

  expect_failures = [var.alarm_batch_backlog_age_threshold_hours]
}

# rule: eventbridge_rules[6]
run "rejects_a_batch_rule_without_batch_mode" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_batch_rule_without_batch_mode"

  variables {
    eventbridge_rules = [
      {
        name          = "reports"
        event_pattern = "{\"source\": [\"com.example.reports\"]}"
        task          = "summarize"
        mode          = "batch"
      },
    ]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: s3_trigger_mode[0]
run "rejects_a_batch_s3_trigger_without_batch_mode" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_batch_s3_trigger_without_batch_mode"

  variables {
    s3_trigger_mode = "batch"
  }

  expect_failures = [var.s3_trigger_mode]
}

# rule: schedules[0]
run "rejects_a_schedule_name_with_spaces" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_name_with_spaces"

  variables {
    schedules = [
      {
        name                = "nightly digest"
        schedule_expression = "rate(1 day)"
        task                = "summarize"
        document            = "x"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[0]
run "rejects_a_schedule_name_that_cannot_start_a_job_id" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_name_that_cannot_start_a_job_id"

  variables {
    schedules = [
      {
        name                = "_nightly"
        schedule_expression = "rate(1 day)"
        task                = "summarize"
        document            = "x"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[1]
run "rejects_a_reserved_schedule_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_reserved_schedule_name"

  variables {
    schedules = [
      {
        name                = "batch-submit"
        schedule_expression = "rate(1 day)"
        task                = "summarize"
        document            = "x"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[1]
run "rejects_duplicate_schedule_names" {
  command   = plan
  parallel  = true
  state_key = "rejects_duplicate_schedule_names"

  variables {
    schedules = [
      { name = "nightly", schedule_expression = "rate(1 day)", task = "summarize", document = "a" },
      { name = "nightly", schedule_expression = "rate(2 days)", task = "summarize", document = "b" },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[2]
run "rejects_a_schedule_expression_without_cron_rate_or_at" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_expression_without_cron_rate_or_at"

  variables {
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "daily"
        task                = "summarize"
        document            = "x"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[3]
run "rejects_a_schedule_with_document_and_document_uri" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_with_document_and_document_uri"

  variables {
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "rate(1 day)"
        task                = "summarize"
        document            = "x"
        document_uri        = "s3://bucket-a/key"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[3]
run "rejects_a_schedule_without_a_document" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_without_a_document"

  variables {
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "rate(1 day)"
        task                = "summarize"

      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[4]
run "rejects_a_schedule_document_uri_that_is_not_s3" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_document_uri_that_is_not_s3"

  variables {
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "rate(1 day)"
        task                = "summarize"
        document_uri        = "https://example.com/doc.txt"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[5]
run "rejects_a_schedule_with_an_unknown_task" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_schedule_with_an_unknown_task"

  variables {
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "rate(1 day)"
        task                = "translate"
        document            = "x"
      },
    ]
  }

  expect_failures = [var.schedules]
}

# rule: schedules[6]
run "rejects_a_batch_schedule_without_batch_mode" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_batch_schedule_without_batch_mode"

  variables {
    schedules = [
      {
        name                = "nightly"
        schedule_expression = "rate(1 day)"
        task                = "summarize"
        document            = "x"
        mode                = "batch"
      },
    ]
  }

  expect_failures = [var.schedules]
}
