"""doctor --node-role ARN / --nodegroup NAME: would a kubelet with this role join the cluster?

``gather`` reads the cluster live (its state, node groups and Fargate profiles, aws-auth's resourceVersion);
``diagnose`` judges the role with ``domain.nodes`` and makes the findings of ``checks/nodes.py``.
"""
