"""IAM principals: ARNs and their canonical form, trust policies, username templates, identity resolution."""
