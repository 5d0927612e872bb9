output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "function_invoke_arn" {
  description = "Invoke ARN of the Lambda function (for API Gateway integrations)."
  value       = aws_lambda_function.this.invoke_arn
}

output "function_qualified_arn" {
  description = "ARN of the Lambda function with its version."
  value       = aws_lambda_function.this.qualified_arn
}

output "function_layers" {
  description = "Layer version ARNs attached to the function, Powertools first."
  value       = local.layers
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_policy_json" {
  description = "The inline policy of the function's role, as JSON."
  value       = data.aws_iam_policy_document.this.json
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the SQS event source mapping (null when none is created)."
  value       = try(aws_lambda_event_source_mapping.this[0].uuid, null)
}

output "event_source_mapping_arn" {
  description = "ARN of the SQS event source mapping (null when none is created)."
  value       = try(aws_lambda_event_source_mapping.this[0].arn, null)
}
