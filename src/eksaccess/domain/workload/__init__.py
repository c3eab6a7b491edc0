"""Workload identity: IRSA (OIDC, web identity) and EKS Pod Identity rules."""
