################################################################################
# Queues
################################################################################

output "queue_url" {
  description = "URL of the main job queue (what other producers send to)."
  value       = module.queue.queue_url
}

output "queue_arn" {
  description = "ARN of the main job queue."
  value       = module.queue.queue_arn
}

output "queue_name" {
  description = "Name of the main job queue."
  value       = module.queue.queue_name
}

output "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the main queue (derived as 6 x consumer_timeout + batching window unless overridden)."
  value       = module.queue.queue_visibility_timeout_seconds
}

output "dlq_url" {
  description = "URL of the dead-letter queue (for inspection and `aws sqs start-message-move-task` redrives)."
  value       = module.queue.dlq_url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = module.queue.dlq_arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = module.queue.dlq_name
}

################################################################################
# Storage
################################################################################

output "jobs_table_name" {
  description = "Name of the DynamoDB jobs table."
  value       = aws_dynamodb_table.jobs.name
}

output "jobs_table_arn" {
  description = "ARN of the DynamoDB jobs table."
  value       = aws_dynamodb_table.jobs.arn
}

output "jobs_table_failed_index_name" {
  description = "Name of the jobs table's sparse index of failed jobs (hash key failed_day = YYYY-MM-DD, range key failed_at), used by `bedrock-jobs jobs --status failed`."
  value       = local.jobs_failed_index_name
}

output "payload_bucket_name" {
  description = "Name of the payload bucket (documents/ and results/)."
  value       = module.payload_bucket.bucket_id
}

output "payload_bucket_arn" {
  description = "ARN of the payload bucket."
  value       = module.payload_bucket.bucket_arn
}

output "archive_bucket_name" {
  description = "Name of the bucket holding archived failures under failed/ (the payload bucket unless archive_bucket_enabled)."
  value       = local.archive_bucket_id
}

output "archive_bucket_arn" {
  description = "ARN of the bucket holding archived failures."
  value       = local.archive_bucket_arn
}

################################################################################
# Functions
################################################################################

output "producer_function_name" {
  description = "Name of the producer Lambda function."
  value       = module.producer.function_name
}

output "producer_function_arn" {
  description = "ARN of the producer Lambda function."
  value       = module.producer.function_arn
}

output "producer_function_invoke_arn" {
  description = "Invoke ARN of the producer (to put API Gateway in front of it instead of the Function URL)."
  value       = module.producer.function_invoke_arn
}

output "producer_function_url" {
  description = "HTTPS endpoint of the job API (POST /jobs, GET /jobs/{job_id}); null when producer_url_enabled is false."
  value       = try(aws_lambda_function_url.producer[0].function_url, null)
}

output "producer_invoke_policy_json" {
  description = "IAM policy granting what a caller in this account needs to use the AWS_IAM job API; attach it to submitting roles."
  value       = data.aws_iam_policy_document.producer_invoke.json
}

output "producer_role_arn" {
  description = "ARN of the producer's execution role."
  value       = module.producer.role_arn
}

output "consumer_function_name" {
  description = "Name of the consumer Lambda function."
  value       = module.consumer.function_name
}

output "consumer_function_arn" {
  description = "ARN of the consumer Lambda function."
  value       = module.consumer.function_arn
}

output "consumer_role_arn" {
  description = "ARN of the consumer's execution role."
  value       = module.consumer.role_arn
}

output "consumer_event_source_mapping_uuid" {
  description = "UUID of the consumer's SQS event source mapping (to pause: `aws lambda update-event-source-mapping --uuid ... --no-enabled`)."
  value       = module.consumer.event_source_mapping_uuid
}

output "consumer_model_arns" {
  description = "Bedrock resource ARNs the consumer may invoke (foundation-model grants behind an inference profile only apply to calls through that profile)."
  value       = distinct(flatten([for statement in local.bedrock_statements : statement.resources if contains(statement.actions, "bedrock:InvokeModel")]))
}

output "archiver_function_name" {
  description = "Name of the DLQ archiver Lambda function."
  value       = module.archiver.function_name
}

output "archiver_function_arn" {
  description = "ARN of the DLQ archiver Lambda function."
  value       = module.archiver.function_arn
}

output "archiver_role_arn" {
  description = "ARN of the DLQ archiver's execution role."
  value       = module.archiver.role_arn
}

output "archiver_event_source_mapping_uuid" {
  description = "UUID of the DLQ archiver's event source mapping."
  value       = module.archiver.event_source_mapping_uuid
}

output "functions_package_path" {
  description = "Path of the Lambda zip Terraform builds from functions/ (during the apply that first deploys a version of the code)."
  value       = archive_file.functions.output_path
}

output "functions_package_s3_uri" {
  description = "S3 location the functions deploy from (the package version is a hash of functions/)."
  value       = "s3://${aws_s3_object.package.bucket}/${aws_s3_object.package.key}"
}

output "functions_layers" {
  description = "Layer version ARNs attached to the functions (Powertools)."
  value       = module.consumer.function_layers
}

################################################################################
# Notifications, alarms, events
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the alerts SNS topic (alarms and per-failure alerts from the DLQ archiver)."
  value       = module.alarms.topic_arn
}

output "alarm_topic_kms_key_arn" {
  description = "ARN of the KMS key the alarms module created for the alerts topic, or null."
  value       = module.alarms.topic_kms_key_arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by role."
  value       = module.alarms.alarm_arns
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by role."
  value       = module.alarms.alarm_names
}

output "results_topic_arn" {
  description = "ARN of the results SNS topic (\"job completed/failed\" notices), or null."
  value       = var.results_topic_enabled ? local.results_topic_arn : null
}

output "eventbridge_rule_arns" {
  description = "ARNs of the module's EventBridge rules, by rule name (the S3 trigger's rule under `s3-upload`)."
  value = merge(
    { for name, rule in aws_cloudwatch_event_rule.this : name => rule.arn },
    var.s3_trigger_enabled ? { "s3-upload" = aws_cloudwatch_event_rule.s3_trigger[0].arn } : {},
  )
}

output "s3_trigger_bucket_name" {
  description = "Bucket whose uploads (under s3_trigger_prefix) become jobs, or null."
  value       = var.s3_trigger_enabled ? local.s3_trigger_bucket_name : null
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard, or null."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

################################################################################
# Batch mode and scheduled jobs
################################################################################

output "batch_queue_url" {
  description = "URL of the batch queue (where batch jobs wait for the submitter), or null when batch_enabled is false."
  value       = var.batch_enabled ? module.batch_queue[0].queue_url : null
}

output "batch_queue_arn" {
  description = "ARN of the batch queue, or null."
  value       = var.batch_enabled ? module.batch_queue[0].queue_arn : null
}

output "batch_dlq_url" {
  description = "URL of the batch queue's dead-letter queue, or null."
  value       = var.batch_enabled ? module.batch_queue[0].dlq_url : null
}

output "batch_role_arn" {
  description = "ARN of the service role Bedrock assumes to run the batch inference jobs (BATCH_ROLE_ARN), or null."
  value       = try(aws_iam_role.batch_bedrock[0].arn, null)
}

output "batch_submitter_function_name" {
  description = "Name of the batch submitter Lambda function, or null."
  value       = try(module.batch_submitter[0].function_name, null)
}

output "batch_submitter_function_arn" {
  description = "ARN of the batch submitter Lambda function, or null."
  value       = try(module.batch_submitter[0].function_arn, null)
}

output "batch_collector_function_name" {
  description = "Name of the batch collector Lambda function, or null."
  value       = try(module.batch_collector[0].function_name, null)
}

output "batch_collector_function_arn" {
  description = "ARN of the batch collector Lambda function, or null."
  value       = try(module.batch_collector[0].function_arn, null)
}

output "schedule_arns" {
  description = "ARNs of the scheduled-job schedules, by schedule name (the batch functions' own schedules under batch-submit and batch-collect)."
  value = merge(
    { for name, schedule in aws_scheduler_schedule.jobs : name => schedule.arn },
    { for name, schedule in aws_scheduler_schedule.batch : "batch-${name}" => schedule.arn },
  )
}

output "schedules_role_arn" {
  description = "ARN of the role EventBridge Scheduler uses to send the scheduled jobs, or null."
  value       = try(aws_iam_role.schedules[0].arn, null)
}

################################################################################
# Guardrails
################################################################################

output "guardrail_id" {
  description = "Id (or ARN, as given) of the guardrail the consumer applies by default, or null without one."
  value       = try(local.default_guardrail.id, null)
}

output "guardrail_arn" {
  description = "ARN of the guardrail the consumer applies by default, or null without one."
  value       = try(local.default_guardrail.arn, null)
}

output "guardrail_version" {
  description = "Version of the guardrail the consumer applies by default (the created guardrail's numbered version), or null."
  value       = try(local.default_guardrail.version, null)
}

output "guardrail_arns" {
  description = "ARNs of every guardrail the consumer may apply (the default and the tasks' own): what its bedrock:ApplyGuardrail grant names."
  value       = local.guardrail_arns
}
