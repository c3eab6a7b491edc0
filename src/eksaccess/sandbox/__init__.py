"""The sandbox: a local EKS authentication plane (EKS, STS, IAM and a Kubernetes API server)."""
