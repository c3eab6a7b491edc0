"""doctor: find the broken link between an AWS credential and a Kubernetes permission."""
