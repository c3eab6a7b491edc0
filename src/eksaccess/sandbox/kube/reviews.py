"""The review kinds: SelfSubjectAccessReview, SelfSubjectRulesReview, (Local)SubjectAccessReview,
SelfSubjectReview and TokenReview (create-only, answered, never stored)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.sandbox.kube import status
from eksaccess.sandbox.kube.authn import AuthenticationError, KubeUser
from eksaccess.sandbox.kube.discovery import Resource
from eksaccess.sandbox.kube.requestinfo import RequestInfo

Obj = dict[str, Any]


def _attributes(spec: Mapping[str, Any]) -> Attributes:
    resource = spec.get("resourceAttributes")
    non_resource = spec.get("nonResourceAttributes")
    if isinstance(resource, dict):
        return Attributes(
            verb=str(resource.get("verb", "")),
            resource=str(resource.get("resource", "")),
            subresource=str(resource.get("subresource", "")),
            api_group=str(resource.get("group", "")),
            name=str(resource.get("name", "")),
            namespace=str(resource.get("namespace", "")),
        )
    if isinstance(non_resource, dict):
        return Attributes(verb=str(non_resource.get("verb", "")), path=str(non_resource.get("path", "")))
    raise status.invalid(
        "SelfSubjectAccessReview",
        "authorization.k8s.io",
        "",
        'spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or '
        "resourceAttributes must be specified",
    )


def _user_info(user: KubeUser) -> Obj:
    info: Obj = {"username": user.username}
    if user.uid:
        info["uid"] = user.uid
    if user.groups:
        info["groups"] = list(user.groups)
    if user.extra:
        info["extra"] = {k: list(v) for k, v in user.extra.items()}
    return info


class ReviewHandler:
    def __init__(
        self, *, authorizer: Callable[[], Authorizer], authenticate: Callable[[str], KubeUser]
    ) -> None:
        self.authorizer = authorizer
        self.authenticate = authenticate

    def handle(self, res: Resource, info: RequestInfo, body: Obj | None, user: KubeUser) -> tuple[int, Obj]:
        if info.verb != "create":
            raise status.method_not_allowed(info.verb, res.name)
        obj: Obj = dict(body or {})
        obj["kind"] = res.kind
        obj["apiVersion"] = res.api_version
        meta = dict(obj.get("metadata") or {})
        meta.setdefault("creationTimestamp", None)
        obj["metadata"] = meta
        spec = obj.get("spec") or {}
        handler = {
            "SelfSubjectAccessReview": self._ssar,
            "SubjectAccessReview": self._sar,
            "LocalSubjectAccessReview": self._sar,
            "SelfSubjectRulesReview": self._ssrr,
            "SelfSubjectReview": self._ssr,
            "TokenReview": self._token_review,
        }[res.kind]
        if res.kind == "LocalSubjectAccessReview":
            ns = str(((spec.get("resourceAttributes") or {}).get("namespace")) or "")
            if ns != info.namespace:
                raise status.bad_request(
                    f"spec.resourceAttributes.namespace must match namespace: {info.namespace}"
                )
        obj["status"] = handler(spec, user)
        if res.kind == "SelfSubjectReview":
            obj.pop("spec", None)
        return 201, obj

    def _decision(
        self, attrs: Attributes, *, username: str, groups: tuple[str, ...], user: KubeUser | None
    ) -> Obj:
        decision = self.authorizer().authorize(
            attrs,
            username=username,
            groups=groups,
            policies=user.policies if user else (),
            principal_arn=user.principal_arn if user else "",
            explain=False,
        )
        out: Obj = {"allowed": decision.allowed}
        if decision.reason:
            out["reason"] = decision.reason
        return out

    def _ssar(self, spec: Mapping[str, Any], user: KubeUser) -> Obj:
        return self._decision(_attributes(spec), username=user.username, groups=user.groups, user=user)

    def _sar(self, spec: Mapping[str, Any], user: KubeUser) -> Obj:
        groups = tuple(str(g) for g in spec.get("groups") or ())
        return self._decision(_attributes(spec), username=str(spec.get("user", "")), groups=groups, user=None)

    def _ssrr(self, spec: Mapping[str, Any], user: KubeUser) -> Obj:
        namespace = str(spec.get("namespace", ""))
        review = self.authorizer().rules_for(username=user.username, groups=user.groups, namespace=namespace)
        return review.to_status()

    def _ssr(self, spec: Mapping[str, Any], user: KubeUser) -> Obj:
        return {"userInfo": _user_info(user)}

    def _token_review(self, spec: Mapping[str, Any], user: KubeUser) -> Obj:
        token = str(spec.get("token", ""))
        try:
            reviewed = self.authenticate(token)
        except AuthenticationError:
            return {"user": {}, "error": "Unauthorized"} | {"authenticated": False}
        audiences = list(spec.get("audiences") or [])
        out: Obj = {"authenticated": True, "user": _user_info(reviewed)}
        if audiences:
            out["audiences"] = audiences
        return out
