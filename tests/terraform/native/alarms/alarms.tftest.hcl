# Plan-level behaviour of modules/alarms: every alarm notifies the on-call topic (created with its
# own customer managed key, or passed in), thresholds and dimensions come from the variables.

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
  target          = aws_sns_topic.this
  override_during = plan
  values = {
    arn = "arn:aws:sns:eu-west-1:123456789012:jobs-alerts"
  }
}

override_resource {
  target          = aws_kms_key.this
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

variables {
  name                    = "jobs"
  queue_name              = "jobs"
  dlq_name                = "jobs-dlq"
  consumer_function_name  = "jobs-consumer"
  archiver_function_name  = "jobs-dlq-archiver"
  archiver_alarms_enabled = true
  producer_function_name  = "jobs-producer"
  producer_alarms_enabled = true
}

run "created_topic_with_its_own_key" {
  command = plan

  assert {
    condition     = length(aws_sns_topic.this) == 1 && aws_sns_topic.this[0].name == "jobs-alerts"
    error_message = "The module creates <name>-alerts by default."
  }
  assert {
    condition     = length(aws_kms_key.this) == 1 && aws_kms_key.this[0].enable_key_rotation == true
    error_message = "A customer managed key with rotation encrypts the created topic."
  }
  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The topic must be encrypted with the created key (CloudWatch cannot use alias/aws/sns)."
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.kms[0].statement : contains([for p in s.principals : p.type], "Service") && contains(flatten([for p in s.principals : p.identifiers]), "cloudwatch.amazonaws.com")])
    error_message = "The key policy must let CloudWatch alarms use the key."
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.topic[0].statement : s.sid == "CloudWatchAlarmsPublish" && s.actions == toset(["sns:Publish"])])
    error_message = "The topic policy must let CloudWatch alarms publish."
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.topic[0].statement : s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])])
    error_message = "The topic policy must deny publishing without TLS."
  }
  assert {
    condition     = output.topic_arn == "arn:aws:sns:eu-west-1:123456789012:jobs-alerts"
    error_message = "topic_arn must report the created topic."
  }
}

run "every_alarm_notifies_the_topic" {
  command = plan

  assert {
    condition = alltrue([for alarm in [
      aws_cloudwatch_metric_alarm.queue_depth, aws_cloudwatch_metric_alarm.oldest_message_age,
      aws_cloudwatch_metric_alarm.dlq_not_empty, aws_cloudwatch_metric_alarm.consumer_errors,
      aws_cloudwatch_metric_alarm.consumer_throttles, aws_cloudwatch_metric_alarm.archiver_errors[0],
      aws_cloudwatch_metric_alarm.producer_errors[0],
    ] : alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:jobs-alerts"]) && alarm.ok_actions == toset(["arn:aws:sns:eu-west-1:123456789012:jobs-alerts"]) && alarm.actions_enabled == true])
    error_message = "Every alarm must notify the alerts topic on ALARM and OK."
  }
  assert {
    condition     = length(output.alarm_names) == 7
    error_message = "Seven alarms: queue depth, oldest message age, DLQ not empty, consumer errors and throttles, archiver and producer errors."
  }
}

run "alarm_definitions" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.queue_depth.metric_name == "ApproximateNumberOfMessagesVisible" && aws_cloudwatch_metric_alarm.queue_depth.dimensions == tomap({ QueueName = "jobs" }) && aws_cloudwatch_metric_alarm.queue_depth.threshold == 1000
    error_message = "Queue depth alarm: visible messages of the main queue above 1000."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.oldest_message_age.metric_name == "ApproximateAgeOfOldestMessage" && aws_cloudwatch_metric_alarm.oldest_message_age.threshold == 1800
    error_message = "Oldest message age alarm: 30 minutes by default."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_not_empty.dimensions == tomap({ QueueName = "jobs-dlq" }) && aws_cloudwatch_metric_alarm.dlq_not_empty.threshold == 0 && aws_cloudwatch_metric_alarm.dlq_not_empty.comparison_operator == "GreaterThanThreshold"
    error_message = "DLQ alarm: any message in the DLQ."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.consumer_errors.namespace == "AWS/Lambda" && aws_cloudwatch_metric_alarm.consumer_errors.metric_name == "Errors" && aws_cloudwatch_metric_alarm.consumer_errors.dimensions == tomap({ FunctionName = "jobs-consumer" })
    error_message = "Consumer errors alarm on the consumer function."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.consumer_throttles.metric_name == "Throttles" && aws_cloudwatch_metric_alarm.consumer_throttles.threshold == 0
    error_message = "Consumer throttles alarm: any throttle."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.dlq_not_empty.alarm_description, "docs/runbook.md#runbook-dlq-not-empty")
    error_message = "Alarm descriptions link to their runbook section."
  }
}

run "thresholds_are_variables" {
  command = plan

  variables {
    queue_depth_threshold                = 50
    oldest_message_age_threshold_seconds = 600
    dlq_threshold                        = 5
    consumer_errors_threshold            = 3
    consumer_throttles_threshold         = 2
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.queue_depth.threshold == 50 && aws_cloudwatch_metric_alarm.oldest_message_age.threshold == 600 && aws_cloudwatch_metric_alarm.dlq_not_empty.threshold == 5
    error_message = "Queue alarm thresholds must follow their variables."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.consumer_errors.threshold == 3 && aws_cloudwatch_metric_alarm.consumer_throttles.threshold == 2
    error_message = "Function alarm thresholds must follow their variables."
  }
}

run "existing_topic" {
  command = plan

  variables {
    create_topic = false
    topic_arn    = "arn:aws:sns:eu-west-1:123456789012:oncall"
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_kms_key.this) == 0
    error_message = "No topic and no key are created for an existing topic."
  }
  assert {
    condition = alltrue([for alarm in [
      aws_cloudwatch_metric_alarm.queue_depth, aws_cloudwatch_metric_alarm.oldest_message_age,
      aws_cloudwatch_metric_alarm.dlq_not_empty, aws_cloudwatch_metric_alarm.consumer_errors,
      aws_cloudwatch_metric_alarm.consumer_throttles,
    ] : alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:oncall"])])
    error_message = "Alarms must notify the existing topic."
  }
  assert {
    condition     = output.topic_arn == "arn:aws:sns:eu-west-1:123456789012:oncall"
    error_message = "topic_arn must report the existing topic."
  }
}

run "given_key_for_the_created_topic" {
  command = plan

  variables {
    create_topic_kms_key    = false
    topic_kms_master_key_id = "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_sns_topic.this[0].kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    error_message = "A given key encrypts the topic and no key is created."
  }
}

run "optional_function_alarms" {
  command = plan

  variables {
    archiver_alarms_enabled = false
    producer_alarms_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.input_failures) == 0 && length(aws_cloudwatch_metric_alarm.systemic_errors) == 0
    error_message = "The application-metric alarms are off unless application_alarms_enabled (the default)."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.archiver_errors) == 0 && length(aws_cloudwatch_metric_alarm.producer_errors) == 0
    error_message = "Archiver and producer alarms are switched by booleans (names may be unknown until apply)."
  }
}

run "subscriptions" {
  command = plan

  variables {
    topic_subscriptions = [
      { protocol = "email", endpoint = "oncall@example.com" },
      { protocol = "https", endpoint = "https://events.pagerduty.com/integration/abc/enqueue", raw_message_delivery = true },
    ]
  }

  assert {
    condition     = aws_sns_topic_subscription.this["email:oncall@example.com"].protocol == "email" && aws_sns_topic_subscription.this["email:oncall@example.com"].topic_arn == "arn:aws:sns:eu-west-1:123456789012:jobs-alerts"
    error_message = "E-mail subscriptions are keyed by address and subscribe to the alerts topic."
  }
  assert {
    condition     = aws_sns_topic_subscription.this["https:https://events.pagerduty.com/integration/abc/enqueue"].raw_message_delivery == true
    error_message = "HTTPS subscriptions keep raw message delivery."
  }
}

run "input_failures_alarm" {
  command = plan

  variables {
    application_alarms_enabled = true
    metrics_namespace          = "bedrock-jobs"
    service_name               = "jobs"
    input_failures_threshold   = 25
    input_failures_period      = 600
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.input_failures[0].namespace == "bedrock-jobs" && aws_cloudwatch_metric_alarm.input_failures[0].metric_name == "JobsFailedOnInput" && aws_cloudwatch_metric_alarm.input_failures[0].dimensions == tomap({ service = "jobs" })
    error_message = "Input failures alarm: JobsFailedOnInput of the service, the series the functions publish with the service dimension alone."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.input_failures[0].statistic == "Sum" && aws_cloudwatch_metric_alarm.input_failures[0].threshold == 25 && aws_cloudwatch_metric_alarm.input_failures[0].period == 600 && aws_cloudwatch_metric_alarm.input_failures[0].treat_missing_data == "notBreaching"
    error_message = "Input failures alarm: sum per period above the threshold variable; no data is no failure."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.input_failures[0].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:jobs-alerts"]) && strcontains(aws_cloudwatch_metric_alarm.input_failures[0].alarm_description, "docs/runbook.md#runbook-input-failures")
    error_message = "Input failures alarm notifies the alerts topic and links to its runbook section."
  }
  assert {
    condition     = output.alarm_names["input_failures"] == "jobs-input-failures"
    error_message = "alarm_names reports the input failures alarm."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.systemic_errors[0].metric_name == "SystemicErrors" && aws_cloudwatch_metric_alarm.systemic_errors[0].dimensions == tomap({ service = "jobs" }) && aws_cloudwatch_metric_alarm.systemic_errors[0].threshold == 0 && aws_cloudwatch_metric_alarm.systemic_errors[0].period == 60
    error_message = "Systemic errors alarm: any SystemicErrors of the service within a minute pages once."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.systemic_errors[0].alarm_description, "docs/runbook.md#runbook-systemic-errors") && output.alarm_names["systemic_errors"] == "jobs-systemic-errors"
    error_message = "The systemic errors alarm links to its runbook section and is reported by alarm_names."
  }
}
