"""The sandbox's AWS endpoint: EKS (rest-json), STS and IAM (query protocol), with real SigV4 checks."""
