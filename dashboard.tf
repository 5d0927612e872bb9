################################################################################
# CloudWatch dashboard
################################################################################

locals {
  # The functions emit one EMF document per job with the dimensions service, task and model_id
  # (functions/bedrock_jobs/observability.py). SEARCH finds every task/model combination of this
  # service; SUM folds them into one line where the total is what matters.
  dashboard_search = {
    for metric in ["JobsCompleted", "JobsFailed", "ModelLatency", "InputTokens", "OutputTokens"] :
    metric => "{\"${var.powertools_metrics_namespace}\",model_id,service,task} MetricName=\"${metric}\" service=\"${local.service_name}\""
  }

  queue_name = module.queue.queue_name
  dlq_name   = module.queue.dlq_name

  dashboard_widgets = [
    {
      type   = "metric"
      x      = 0
      y      = 0
      width  = 8
      height = 6
      properties = {
        title  = "Main queue: waiting and in flight"
        region = local.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 60
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.queue_name, { label = "visible" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", local.queue_name, { label = "in flight" }],
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_queue_depth_threshold }] }
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 0
      width  = 8
      height = 6
      properties = {
        title       = "Main queue: age of oldest message (s)"
        region      = local.region
        view        = "timeSeries"
        stat        = "Maximum"
        period      = 60
        metrics     = [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.queue_name]]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_oldest_message_age_threshold_seconds }] }
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 0
      width  = 8
      height = 6
      properties = {
        title  = "Dead-letter queue depth"
        region = local.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 60
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dlq_name, { label = "visible" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", local.dlq_name, { label = "being archived" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 6
      width  = 8
      height = 6
      properties = {
        title  = "Consumer invocations, errors, throttles"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 60
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.function_names.consumer],
          ["AWS/Lambda", "Errors", "FunctionName", local.function_names.consumer],
          ["AWS/Lambda", "Throttles", "FunctionName", local.function_names.consumer],
        ]
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 6
      width  = 8
      height = 6
      properties = {
        title  = "Consumer duration (ms) and concurrency"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.function_names.consumer, { stat = "p50", label = "p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.function_names.consumer, { stat = "p99", label = "p99" }],
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.function_names.consumer, { stat = "Maximum", yAxis = "right", label = "concurrency" }],
        ]
        annotations = { horizontal = [{ label = "timeout", value = var.consumer_timeout * 1000 }] }
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 6
      width  = 8
      height = 6
      properties = {
        title  = "Producer and DLQ archiver"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 60
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.function_names.producer, { label = "producer invocations" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.function_names.producer, { label = "producer errors" }],
          ["AWS/Lambda", "Invocations", "FunctionName", local.function_names.archiver, { label = "archiver invocations" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.function_names.archiver, { label = "archiver errors" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 12
      width  = 8
      height = 6
      properties = {
        title  = "Jobs completed and failed"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ id = "completed", label = "completed", expression = "SUM(SEARCH('${local.dashboard_search.JobsCompleted}', 'Sum', 300))" }],
          [{ id = "failed", label = "failed", expression = "SUM(SEARCH('${local.dashboard_search.JobsFailed}', 'Sum', 300))" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 12
      width  = 8
      height = 6
      properties = {
        title  = "Model latency p90 (ms) by task and model"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ id = "latency", expression = "SEARCH('${local.dashboard_search.ModelLatency}', 'p90', 300)" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 12
      width  = 8
      height = 6
      properties = {
        title  = "Tokens"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ id = "input", label = "input tokens", expression = "SUM(SEARCH('${local.dashboard_search.InputTokens}', 'Sum', 300))" }],
          [{ id = "output", label = "output tokens", expression = "SUM(SEARCH('${local.dashboard_search.OutputTokens}', 'Sum', 300))" }],
        ]
      }
    },
  ]

  # Batch mode: the batch queue and the batch functions' metrics (BatchRecords* are published by the
  # submitter and collector with the service dimension alone).
  dashboard_batch_metric = {
    for metric in ["BatchRecordsSubmitted", "BatchRecordsCompleted", "BatchRecordsFellBack", "BatchJobsFailed", "BatchJobsExpired"] :
    metric => [var.powertools_metrics_namespace, metric, "service", local.service_name, { stat = "Sum", label = metric }]
  }
  batch_queue_name = var.batch_enabled ? module.batch_queue[0].queue_name : ""
  # slice, not a conditional: the two branches of a conditional must be tuples of one length.
  dashboard_batch_widgets = slice([
    {
      type   = "metric"
      x      = 0
      y      = 18
      width  = 8
      height = 6
      properties = {
        title  = "Batch queue: waiting jobs and age of oldest (s)"
        region = local.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 300
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.batch_queue_name, { label = "waiting" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.batch_queue_name, { label = "oldest (s)", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_batch_backlog_age_threshold_hours * 3600, yAxis = "right" }] }
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 18
      width  = 8
      height = 6
      properties = {
        title  = "Batch records submitted, completed, fell back"
        region = local.region
        view   = "timeSeries"
        period = 3600
        metrics = [
          local.dashboard_batch_metric.BatchRecordsSubmitted,
          local.dashboard_batch_metric.BatchRecordsCompleted,
          local.dashboard_batch_metric.BatchRecordsFellBack,
        ]
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 18
      width  = 8
      height = 6
      properties = {
        title  = "Batch jobs failed / expired, submitter and collector errors"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 3600
        metrics = [
          local.dashboard_batch_metric.BatchJobsFailed,
          local.dashboard_batch_metric.BatchJobsExpired,
          ["AWS/Lambda", "Errors", "FunctionName", local.batch_function_names.submitter, { label = "submitter errors" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.batch_function_names.collector, { label = "collector errors" }],
        ]
      }
    },
  ], 0, var.batch_enabled ? 3 : 0)

  dashboard_alarm_widgets = [
    {
      type   = "alarm"
      x      = 0
      y      = var.batch_enabled ? 24 : 18
      width  = 24
      height = 3
      properties = {
        title  = "Alarms"
        alarms = values(module.alarms.alarm_arns)
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard_enabled ? 1 : 0

  # Dashboards are account-wide, not regional: the region in the default name keeps instances of the
  # same name in several regions apart.
  dashboard_name = coalesce(var.dashboard_name, "${var.name}-${local.region}")
  dashboard_body = jsonencode({ widgets = concat(local.dashboard_widgets, local.dashboard_batch_widgets, local.dashboard_alarm_widgets) })
}
