"""Read a workload's identity chain through ``WorkloadApi``: its service account (and pods), the cluster's
issuer, the account's OIDC providers, the IRSA role and the Pod Identity association's role."""

from __future__ import annotations

from eksaccess.adapters.ports import WorkloadApi
from eksaccess.domain.iam.principal import arn_account
from eksaccess.errors import InputError
from eksaccess.features.doctor.workload.model import ROLE_ANNOTATION, RoleLookup, WorkloadFacts
from eksaccess.features.retry import DEFAULT_BACKOFF, Backoff, retry


def split_name(value: str, option: str) -> tuple[str, str]:
    """``NS/NAME`` -> (NS, NAME); anything else is bad input."""
    namespace, sep, name = value.partition("/")
    if not sep or not namespace or not name or "/" in name:
        raise InputError(f"{option} {value!r}: give NAMESPACE/NAME")
    return namespace, name


def _lookup(api: WorkloadApi, role_arn: str, account: str, backoff: Backoff) -> RoleLookup:
    if arn_account(role_arn) != account:
        return RoleLookup(arn=role_arn, readable=False)
    role = retry(lambda: api.role(role_arn), backoff)
    if role is None:
        return RoleLookup(arn=role_arn)
    policies = retry(lambda: api.role_policies(role_arn), backoff)
    return RoleLookup(arn=role_arn, role=role, policies=policies)


def gather_workload(
    api: WorkloadApi,
    *,
    cluster: str,
    region: str | None,
    account: str,
    service_account: str | None,
    pod: str | None,
    role_arn: str | None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> WorkloadFacts:
    """InputError for a pod or service account that does not exist; AwsCallError / KubeCallError (exit 3)
    when a call fails after retries."""
    if pod:
        namespace, pod_name = split_name(pod, "--pod")
        pods = tuple(retry(lambda: api.pods(namespace, pod_name), backoff))
        if not pods:
            raise InputError(f'--pod {pod}: pods "{pod_name}" not found in namespace {namespace}')
        name = pods[0].service_account
    else:
        namespace, name = split_name(str(service_account), "--service-account")
        pods = tuple(p for p in retry(lambda: api.pods(namespace), backoff) if p.service_account == name)
    read = retry(lambda: api.service_account(namespace, name), backoff)
    if read is None:
        raise InputError(f'serviceaccounts "{name}" not found in namespace {namespace}')
    associations = tuple(retry(lambda: api.associations(namespace, name), backoff))
    annotated = read.annotations.get(ROLE_ANNOTATION) or None
    irsa_arn = annotated or role_arn
    issuer = retry(api.oidc_issuer, backoff)
    irsa = _lookup(api, irsa_arn, account, backoff) if irsa_arn and not associations else None
    providers = tuple(retry(api.oidc_providers, backoff)) if irsa is not None and irsa.readable else ()
    pod_identity = _lookup(api, associations[0].role_arn, account, backoff) if associations else None
    return WorkloadFacts(
        cluster=cluster,
        region=region,
        account=account,
        namespace=namespace,
        name=name,
        service_account=read,
        pods=pods,
        issuer=issuer,
        providers=providers,
        role_option=role_arn,
        irsa_role=irsa,
        associations=associations,
        pod_identity_role=pod_identity,
    )
