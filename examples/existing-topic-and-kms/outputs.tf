output "kms_key_arn" {
  description = "The customer managed key encrypting the stack."
  value       = aws_kms_key.this.arn
}

output "oncall_topic_arn" {
  description = "The on-call topic the alarms notify."
  value       = aws_sns_topic.oncall.arn
}

output "queue_url" {
  description = "Main queue URL (SSE-KMS with the key above)."
  value       = module.bedrock_jobs.queue_url
}

output "job_api_url" {
  description = "Job API (AWS_IAM auth)."
  value       = module.bedrock_jobs.producer_function_url
}
