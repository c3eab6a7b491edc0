"""doctor --service-account NS/NAME / --pod NS/NAME: can this workload's pods get their IAM role's credentials?

``gather`` reads the chain live through ``adapters.ports.WorkloadApi``; ``diagnose`` walks it link by link
with the checks of ``checks/workload_*.py`` (which mechanism, the OIDC provider, the trust policy against the
token's claims, Pod Identity's trust, the role, the pods' age against the association's).
"""
