output "queue_arn" {
  description = "ARN of the main queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "URL of the main queue."
  value       = aws_sqs_queue.this.id
}

output "queue_name" {
  description = "Name of the main queue (with `.fifo` for FIFO queues)."
  value       = aws_sqs_queue.this.name
}

output "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the main queue, derived or overridden."
  value       = local.visibility_timeout_seconds
}

output "queue_fifo" {
  description = "Whether the queues are FIFO queues."
  value       = var.fifo_queue
}

output "queue_kms_master_key_id" {
  description = "KMS key of both queues, or null when they use SSE-SQS."
  value       = var.kms_master_key_id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}
