output "job_api_url" {
  description = "Job API (AWS_IAM auth): POST /jobs, GET /jobs/{job_id}."
  value       = module.bedrock_jobs.producer_function_url
}

output "job_api_invoke_policy_json" {
  description = "IAM policy to attach to roles that submit jobs."
  value       = module.bedrock_jobs.producer_invoke_policy_json
}

output "queue_url" {
  description = "Main queue URL."
  value       = module.bedrock_jobs.queue_url
}

output "dlq_url" {
  description = "Dead-letter queue URL."
  value       = module.bedrock_jobs.dlq_url
}

output "upload_bucket" {
  description = "Upload .txt files under incoming/ here to create jobs."
  value       = module.bedrock_jobs.s3_trigger_bucket_name
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
