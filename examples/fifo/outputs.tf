output "queue_url" {
  description = "FIFO job queue URL (ends in .fifo); senders must set MessageGroupId."
  value       = module.bedrock_jobs.queue_url
}

output "dlq_url" {
  description = "FIFO dead-letter queue URL."
  value       = module.bedrock_jobs.dlq_url
}

output "job_api_url" {
  description = "Job API (AWS_IAM auth)."
  value       = module.bedrock_jobs.producer_function_url
}
