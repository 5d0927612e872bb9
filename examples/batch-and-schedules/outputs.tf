output "job_api_url" {
  description = "Job API (AWS_IAM auth): POST /jobs (with \"mode\": \"batch\" for the batch price), GET /jobs/{job_id}."
  value       = module.bedrock_jobs.producer_function_url
}

output "job_api_invoke_policy_json" {
  description = "IAM policy to attach to roles that submit jobs."
  value       = module.bedrock_jobs.producer_invoke_policy_json
}

output "upload_bucket" {
  description = "Upload .txt files under backlist/ here to classify them in the next nightly batch."
  value       = module.bedrock_jobs.s3_trigger_bucket_name
}

output "queue_url" {
  description = "Realtime queue URL."
  value       = module.bedrock_jobs.queue_url
}

output "batch_queue_url" {
  description = "Batch queue URL: batch jobs wait here for the nightly submitter."
  value       = module.bedrock_jobs.batch_queue_url
}

output "batch_dlq_url" {
  description = "Batch dead-letter queue URL (redrive it to the realtime queue, see the runbook)."
  value       = module.bedrock_jobs.batch_dlq_url
}

output "batch_role_arn" {
  description = "Service role Bedrock assumes to run the batch inference jobs."
  value       = module.bedrock_jobs.batch_role_arn
}

output "batch_submitter_function_name" {
  description = "Batch submitter (invoke it to submit waiting jobs now instead of at 01:00)."
  value       = module.bedrock_jobs.batch_submitter_function_name
}

output "batch_collector_function_name" {
  description = "Batch collector."
  value       = module.bedrock_jobs.batch_collector_function_name
}

output "schedule_arns" {
  description = "Schedules by name: the two canaries, batch-submit and batch-collect."
  value       = module.bedrock_jobs.schedule_arns
}

output "jobs_table_name" {
  description = "Jobs table."
  value       = module.bedrock_jobs.jobs_table_name
}

output "alarm_topic_arn" {
  description = "Alerts topic."
  value       = module.bedrock_jobs.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.bedrock_jobs.dashboard_name
}
