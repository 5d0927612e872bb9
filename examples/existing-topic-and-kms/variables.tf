variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "oncall_https_endpoints" {
  description = "HTTPS endpoints (e.g. a PagerDuty or Opsgenie SNS integration URL) subscribed to the on-call topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.oncall_https_endpoints : startswith(e, "https://")])
    error_message = "Endpoints must start with https://."
  }
}
