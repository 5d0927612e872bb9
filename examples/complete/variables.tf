variable "region" {
  description = "AWS region to deploy into (the model id above is a US inference profile)."
  type        = string
  default     = "us-east-1"
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}
