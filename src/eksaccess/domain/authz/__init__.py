"""Authorization: Kubernetes RBAC and EKS access policies, evaluated together."""
