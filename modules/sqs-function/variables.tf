################################################################################
# Function
################################################################################

variable "function_name" {
  description = "Name of the Lambda function; also names its log group and (with the region, unless role_name says otherwise) its IAM role."
  type        = string

  validation {
    # 64 is the Lambda limit (Lambda API reference, CreateFunction FunctionName).
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, hyphens and underscores."
  }
}

variable "description" {
  description = "Description of the Lambda function."
  type        = string
  default     = ""

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters."
  }
}

variable "handler" {
  description = "Handler in `module.function` form, e.g. `bedrock_jobs.consumer.handler`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like `package.module.function`."
  }
}

variable "runtime" {
  description = "Python runtime. Only runtimes with an AWS-published Powertools v3 layer and a supported lifecycle are allowed."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "architectures" {
  description = "Instruction set, as a one-element list. arm64 (Graviton) costs about 20% less per GB-second than x86_64 and Powertools publishes an arm64 layer."
  type        = list(string)
  default     = ["arm64"]

  validation {
    condition     = length(var.architectures) == 1 && alltrue([for a in var.architectures : contains(["arm64", "x86_64"], a)])
    error_message = "architectures must be [\"arm64\"] or [\"x86_64\"]."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10240); CPU scales with it."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number between 128 and 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1-900)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number between 1 and 900."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function. Lambda caps their total size at 4 KB."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(jsonencode(var.environment_variables)) <= 4096
    error_message = "The environment variables exceed Lambda's 4 KB limit."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency. null leaves the function unreserved; 0 disables it. With an SQS trigger, prefer the event source mapping's maximum_concurrency, and keep any reservation at or above it."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 0, false)
    error_message = "reserved_concurrent_executions must be null or at least 0."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN for the environment variables and the log group. null uses AWS-owned/managed keys. The key policy must allow logs.<region>.amazonaws.com."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "application_log_level" {
  description = "Lambda advanced logging application log level (JSON format). Lambda filters before the code sees a record and Powertools defers to it, so keep it in line with POWERTOOLS_LOG_LEVEL; null lets Lambda use its default (INFO)."
  type        = string
  default     = null

  validation {
    condition     = var.application_log_level == null || contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], coalesce(var.application_log_level, "INFO"))
    error_message = "application_log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "system_log_level" {
  description = "Lambda advanced logging system log level (platform START/END/REPORT records)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group, in days (a value CloudWatch Logs accepts; 0 keeps logs forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# Package and layers
################################################################################

variable "filename" {
  description = "Path of a local deployment package (zip). Give either this or s3_bucket and s3_key; the file must exist where `terraform apply` runs, so prefer S3 when plan and apply run in separate jobs."
  type        = string
  default     = null
}

variable "s3_bucket" {
  description = "Bucket of the deployment package (same region as the function)."
  type        = string
  default     = null
}

variable "s3_key" {
  description = "Key of the deployment package in s3_bucket."
  type        = string
  default     = null

  validation {
    condition     = (var.s3_key == null) == (var.s3_bucket == null) && (var.s3_key == null) != (var.filename == null)
    error_message = "Give either filename, or both s3_bucket and s3_key."
  }
}

variable "source_code_hash" {
  description = "Changes whenever the package content does (e.g. base64 SHA-256 of the package or of its sources); a change redeploys the code."
  type        = string
}

variable "layers" {
  description = "Extra layer version ARNs, added after the Powertools layer (Lambda allows 5 in total)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 4
    error_message = "At most 4 extra layers (Lambda allows 5 including Powertools)."
  }
}

variable "powertools_layer_enabled" {
  description = "Attach AWS's public Powertools for AWS Lambda (Python) v3 layer."
  type        = bool
  default     = true
}

variable "powertools_layer_version" {
  description = "Version of the public Powertools v3 layer (the same number in every commercial region). Find the latest with `aws ssm get-parameter --name /aws/service/powertools/python/<arch>/<python3.x>/latest`."
  type        = number
  default     = 27

  validation {
    condition     = var.powertools_layer_version >= 1 && floor(var.powertools_layer_version) == var.powertools_layer_version
    error_message = "powertools_layer_version must be a positive whole number."
  }
}

variable "powertools_layer_arn" {
  description = "Full Powertools layer version ARN, overriding the derived one (e.g. for China/GovCloud partitions or a private copy)."
  type        = string
  default     = null

  validation {
    condition     = var.powertools_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.powertools_layer_arn))
    error_message = "powertools_layer_arn must be a layer version ARN (arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

################################################################################
# IAM
################################################################################

variable "policy_statements" {
  description = "Extra Allow statements for the function's inline policy: exact actions on exact resource ARNs, with optional conditions ({test, variable, values}). \"*\" as a resource is accepted only with a condition that scopes it (some actions, such as aws-marketplace:Subscribe, support no resource ARNs; read-only ones without resource types or condition keys, aws-marketplace:ViewSubscriptions and bedrock:ListModelInvocationJobs, need no condition)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.policy_statements : can(regex("^[A-Za-z0-9]+$", s.sid)) && length(s.actions) > 0 && length(s.resources) > 0])
    error_message = "Each statement needs an alphanumeric sid and at least one action and one resource."
  }

  validation {
    # "*" is the only resource some actions accept: allowed with a scoping condition, or for read-only
    # actions that have neither resource types nor condition keys (IAM Service Authorization Reference).
    condition = alltrue([for s in var.policy_statements : !contains(s.actions, "*") && (
      !contains(s.resources, "*") || length(s.conditions) > 0 || length(setsubtract(s.actions, ["aws-marketplace:ViewSubscriptions", "bedrock:ListModelInvocationJobs"])) == 0
    )])
    error_message = "Extra statements must name actions, and name resources unless a condition scopes them; \"*\" is not accepted otherwise."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a permissions boundary for the function's role."
  type        = string
  default     = null
}

variable "role_path" {
  description = "Path of the function's IAM role."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must begin and end with /."
  }
}

################################################################################
# SQS event source mapping
################################################################################

variable "role_name" {
  description = "Name of the function's IAM role. null derives `<function_name>-<region>`: IAM names are account-wide, so the region keeps the same function name deployable in several regions (names over 64 characters are shortened with a hash)."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.role_name, "-")))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "role_use_name_prefix" {
  description = "Use the role name (at most its first 37 characters) as a prefix, IAM adding a unique suffix: never collides, at the price of names that change on replacement."
  type        = bool
  default     = false
}

variable "create_event_source_mapping" {
  description = "Create the SQS event source mapping (false for a function that is not fed by a queue, such as the producer)."
  type        = bool
  default     = true
}

variable "event_source_arn" {
  description = "ARN of the SQS queue that feeds the function. The role gets exactly the consume actions on it."
  type        = string
  default     = null

  validation {
    condition     = !var.create_event_source_mapping || var.event_source_arn != null
    error_message = "event_source_arn is required when create_event_source_mapping is true."
  }
}

variable "event_source_fifo" {
  description = "Whether the source queue is a FIFO queue (batch size at most 10, no batching window)."
  type        = bool
  default     = false
}

variable "event_source_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the source queue; the role gets kms:Decrypt on it."
  type        = string
  default     = null
}

variable "event_source_mapping_enabled" {
  description = "Whether the mapping polls (false pauses consumption without deleting anything)."
  type        = bool
  default     = true
}

variable "batch_size" {
  description = "Largest number of records per invocation (1-10000; at most 10 for FIFO; above 10 needs a batching window of at least 1 s)."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number between 1 and 10000."
  }

  validation {
    condition     = !var.event_source_fifo || var.batch_size <= 10
    error_message = "batch_size must be at most 10 for a FIFO queue."
  }

  validation {
    condition     = var.batch_size <= 10 || var.maximum_batching_window_in_seconds >= 1
    error_message = "batch_size above 10 needs maximum_batching_window_in_seconds of at least 1."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "How long the poller gathers records before invoking (0-300 s; must be 0 for FIFO)."
  type        = number
  default     = 0

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be between 0 and 300."
  }

  validation {
    condition     = !var.event_source_fifo || var.maximum_batching_window_in_seconds == 0
    error_message = "FIFO queues do not support a batching window; set maximum_batching_window_in_seconds = 0."
  }
}

variable "maximum_concurrency" {
  description = "Most concurrent invocations the mapping drives (2-1000). null lets the poller scale to the account limit."
  type        = number
  default     = null

  validation {
    condition     = var.maximum_concurrency == null || try(var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000, false)
    error_message = "maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "filter_criteria" {
  description = "Event filter patterns (JSON strings); records that match none are deleted without invoking the function, so filter only what is safe to drop."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.filter_criteria) <= 10 && alltrue([for p in var.filter_criteria : can(jsondecode(p))])
    error_message = "filter_criteria takes at most 10 patterns, each valid JSON."
  }
}

variable "metrics_enabled" {
  description = "Publish event source mapping metrics (EventCount)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
