output "topic_arn" {
  description = "ARN of the SNS topic the alarms notify (created or passed in)."
  value       = local.topic_arn
}

output "topic_kms_key_arn" {
  description = "ARN of the KMS key the module created for the topic, or null (publishers of an existing or alias-encrypted topic get their key from the caller)."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "topic_kms_master_key_id" {
  description = "KMS key (ARN or alias) encrypting the created topic; null when the topic was passed in."
  value       = !var.create_topic ? null : local.create_kms_key ? aws_kms_key.this[0].arn : var.topic_kms_master_key_id
}

output "alarm_arns" {
  description = "ARNs of the alarms, by role."
  value = merge(
    {
      queue_depth        = aws_cloudwatch_metric_alarm.queue_depth.arn
      oldest_message_age = aws_cloudwatch_metric_alarm.oldest_message_age.arn
      dlq_not_empty      = aws_cloudwatch_metric_alarm.dlq_not_empty.arn
      consumer_errors    = aws_cloudwatch_metric_alarm.consumer_errors.arn
      consumer_throttles = aws_cloudwatch_metric_alarm.consumer_throttles.arn
    },
    var.archiver_alarms_enabled ? { archiver_errors = aws_cloudwatch_metric_alarm.archiver_errors[0].arn } : {},
    var.producer_alarms_enabled ? { producer_errors = aws_cloudwatch_metric_alarm.producer_errors[0].arn } : {},
    var.application_alarms_enabled ? {
      input_failures  = aws_cloudwatch_metric_alarm.input_failures[0].arn
      systemic_errors = aws_cloudwatch_metric_alarm.systemic_errors[0].arn
    } : {},
    var.batch_alarms_enabled ? {
      batch_jobs_failed      = aws_cloudwatch_metric_alarm.batch_jobs_failed[0].arn
      batch_jobs_expired     = aws_cloudwatch_metric_alarm.batch_jobs_expired[0].arn
      batch_backlog_age      = aws_cloudwatch_metric_alarm.batch_backlog_age[0].arn
      batch_dlq_not_empty    = aws_cloudwatch_metric_alarm.batch_dlq_not_empty[0].arn
      batch_submitter_errors = aws_cloudwatch_metric_alarm.batch_submitter_errors[0].arn
      batch_collector_errors = aws_cloudwatch_metric_alarm.batch_collector_errors[0].arn
    } : {},
  )
}

output "alarm_names" {
  description = "Names of the alarms, by role."
  value = merge(
    {
      queue_depth        = aws_cloudwatch_metric_alarm.queue_depth.alarm_name
      oldest_message_age = aws_cloudwatch_metric_alarm.oldest_message_age.alarm_name
      dlq_not_empty      = aws_cloudwatch_metric_alarm.dlq_not_empty.alarm_name
      consumer_errors    = aws_cloudwatch_metric_alarm.consumer_errors.alarm_name
      consumer_throttles = aws_cloudwatch_metric_alarm.consumer_throttles.alarm_name
    },
    var.archiver_alarms_enabled ? { archiver_errors = aws_cloudwatch_metric_alarm.archiver_errors[0].alarm_name } : {},
    var.producer_alarms_enabled ? { producer_errors = aws_cloudwatch_metric_alarm.producer_errors[0].alarm_name } : {},
    var.application_alarms_enabled ? {
      input_failures  = aws_cloudwatch_metric_alarm.input_failures[0].alarm_name
      systemic_errors = aws_cloudwatch_metric_alarm.systemic_errors[0].alarm_name
    } : {},
    var.batch_alarms_enabled ? {
      batch_jobs_failed      = aws_cloudwatch_metric_alarm.batch_jobs_failed[0].alarm_name
      batch_jobs_expired     = aws_cloudwatch_metric_alarm.batch_jobs_expired[0].alarm_name
      batch_backlog_age      = aws_cloudwatch_metric_alarm.batch_backlog_age[0].alarm_name
      batch_dlq_not_empty    = aws_cloudwatch_metric_alarm.batch_dlq_not_empty[0].alarm_name
      batch_submitter_errors = aws_cloudwatch_metric_alarm.batch_submitter_errors[0].alarm_name
      batch_collector_errors = aws_cloudwatch_metric_alarm.batch_collector_errors[0].alarm_name
    } : {},
  )
}

output "runbook_urls" {
  description = "Runbook link of each alarm, by role."
  value       = local.runbook
}
