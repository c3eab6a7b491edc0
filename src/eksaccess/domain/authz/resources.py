"""The resource argument as kubectl reads it: ``pods``, ``po``, ``pod``, ``deploy``, ``deployments.apps``,
``deployments.v1.apps``, ``pods/log``, ``rolebindings.rbac.authorization.k8s.io``.

A built-in table of the common resources (plural, singular, short names, API group, namespaced) stands in
for discovery. Unknown ``name.group`` is taken literally (namespaced assumed); an unknown bare name is
taken as a core-group namespaced resource. Both cases carry a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eksaccess.errors import InputError


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceInfo:
    plural: str
    singular: str
    short_names: tuple[str, ...]
    group: str
    namespaced: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ResolvedResource:
    resource: str
    subresource: str
    group: str
    namespaced: bool
    known: bool
    note: str = ""

    @property
    def display(self) -> str:
        """``deployments.apps/scale``: the resource the way kubectl and the API server name it."""
        text = self.resource + (f".{self.group}" if self.group else "")
        return f"{text}/{self.subresource}" if self.subresource else text


# plural singular short-names(comma or -) group(- for core) N(amespaced)/C(luster)
_TABLE = """
pods pod po - N
services service svc - N
configmaps configmap cm - N
secrets secret - - N
serviceaccounts serviceaccount sa - N
namespaces namespace ns - C
nodes node no - C
persistentvolumeclaims persistentvolumeclaim pvc - N
persistentvolumes persistentvolume pv - C
endpoints endpoints ep - N
events event ev - N
replicationcontrollers replicationcontroller rc - N
resourcequotas resourcequota quota - N
limitranges limitrange limits - N
podtemplates podtemplate - - N
componentstatuses componentstatus cs - C
bindings binding - - N
users user - - C
groups group - - C
deployments deployment deploy apps N
replicasets replicaset rs apps N
statefulsets statefulset sts apps N
daemonsets daemonset ds apps N
controllerrevisions controllerrevision - apps N
jobs job - batch N
cronjobs cronjob cj batch N
horizontalpodautoscalers horizontalpodautoscaler hpa autoscaling N
poddisruptionbudgets poddisruptionbudget pdb policy N
ingresses ingress ing networking.k8s.io N
networkpolicies networkpolicy netpol networking.k8s.io N
ingressclasses ingressclass - networking.k8s.io C
endpointslices endpointslice - discovery.k8s.io N
leases lease - coordination.k8s.io N
roles role - rbac.authorization.k8s.io N
rolebindings rolebinding - rbac.authorization.k8s.io N
clusterroles clusterrole - rbac.authorization.k8s.io C
clusterrolebindings clusterrolebinding - rbac.authorization.k8s.io C
storageclasses storageclass sc storage.k8s.io C
csidrivers csidriver - storage.k8s.io C
csinodes csinode - storage.k8s.io C
volumeattachments volumeattachment - storage.k8s.io C
customresourcedefinitions customresourcedefinition crd,crds apiextensions.k8s.io C
mutatingwebhookconfigurations mutatingwebhookconfiguration - admissionregistration.k8s.io C
validatingwebhookconfigurations validatingwebhookconfiguration - admissionregistration.k8s.io C
certificatesigningrequests certificatesigningrequest csr certificates.k8s.io C
signers signer - certificates.k8s.io C
priorityclasses priorityclass pc scheduling.k8s.io C
runtimeclasses runtimeclass - node.k8s.io C
apiservices apiservice - apiregistration.k8s.io C
tokenreviews tokenreview - authentication.k8s.io C
selfsubjectreviews selfsubjectreview - authentication.k8s.io C
uids uid - authentication.k8s.io C
userextras userextra - authentication.k8s.io C
subjectaccessreviews subjectaccessreview - authorization.k8s.io C
selfsubjectaccessreviews selfsubjectaccessreview - authorization.k8s.io C
selfsubjectrulesreviews selfsubjectrulesreview - authorization.k8s.io C
localsubjectaccessreviews localsubjectaccessreview - authorization.k8s.io N
resourceclaims resourceclaim - resource.k8s.io N
resourceclaimtemplates resourceclaimtemplate - resource.k8s.io N
podsecuritypolicies podsecuritypolicy psp policy C
"""


def _parse_table(text: str) -> tuple[ResourceInfo, ...]:
    infos = []
    for line in text.strip().splitlines():
        plural, singular, shorts, group, scope = line.split()
        infos.append(
            ResourceInfo(
                plural=plural,
                singular=singular,
                short_names=() if shorts == "-" else tuple(shorts.split(",")),
                group="" if group == "-" else group,
                namespaced=scope == "N",
            )
        )
    return tuple(infos)


RESOURCES: tuple[ResourceInfo, ...] = _parse_table(_TABLE)
KNOWN_GROUPS = frozenset(info.group for info in RESOURCES)
_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")
_NAME = re.compile(r"^[a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?$")


def _lookup(name: str, group: str | None) -> ResourceInfo | None:
    """First by plural, then singular, then short name (kubectl's order); core group preferred."""
    for attr in ("plural", "singular", "short_names"):
        for info in RESOURCES:
            if group is not None and info.group != group:
                continue
            value = getattr(info, attr)
            if (name in value) if attr == "short_names" else (name == value):
                return info
    return None


def resolve_resource(text: str) -> ResolvedResource:
    """``RESOURCE[.GROUP][/SUBRESOURCE]`` -> resource, subresource, group, scope; InputError if malformed."""
    raw = text.strip()
    if not raw:
        raise InputError("the resource is empty")
    head, _, subresource = raw.partition("/")
    head = head.lower()
    if "/" in subresource or (raw.endswith("/") and not subresource):
        raise InputError(f"cannot read resource {text!r}: expected RESOURCE[.GROUP][/SUBRESOURCE]")
    if not _NAME.match(head) or (subresource and not _NAME.match(subresource)):
        raise InputError(f"cannot read resource {text!r}: not a Kubernetes resource name")
    if head == "*":
        return ResolvedResource(resource="*", subresource=subresource, group="", namespaced=True, known=True)
    name, dot, group = head.partition(".")
    if not dot:
        info = _lookup(name, None)
        if info is None:
            note = f'unknown resource "{name}": taken as a namespaced resource of the core API group'
            return ResolvedResource(
                resource=name, subresource=subresource, group="", namespaced=True, known=False, note=note
            )
        return _resolved(info, subresource)
    version, _, rest = group.partition(".")
    if rest and _VERSION.match(version):
        group = rest  # deployments.v1.apps
    info = _lookup(name, group)
    if info is not None:
        return _resolved(info, subresource)
    note = f'unknown resource "{name}.{group}": taken literally as a namespaced resource of group "{group}"'
    return ResolvedResource(
        resource=name, subresource=subresource, group=group, namespaced=True, known=False, note=note
    )


def _resolved(info: ResourceInfo, subresource: str) -> ResolvedResource:
    return ResolvedResource(
        resource=info.plural,
        subresource=subresource,
        group=info.group,
        namespaced=info.namespaced,
        known=True,
    )
