"""doctor --console: can the EKS console show this cluster's Kubernetes objects to an IAM principal?

``run.run_console`` gathers as doctor does (the same ports, the same identity resolution and authorizer),
then asks IAM (iam:SimulatePrincipalPolicy) about the console's actions and decides each read the console
makes; ``model.ConsoleReport`` is what it returns. The codes and fixes are ``checks/console.py``'s.
"""
