"""Resource requests of a sandbox cluster: list/get/create/update/patch/delete over KubeObjects."""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eksaccess.sandbox.kube import openapi, patch, status
from eksaccess.sandbox.kube.discovery import RBAC, Resource
from eksaccess.sandbox.kube.requestinfo import RequestInfo
from eksaccess.sandbox.kube.selectors import SelectorError
from eksaccess.sandbox.kube.storage import AlreadyExistsError, ConflictError, KubeObjects, NotFoundError
from eksaccess.sandbox.kube.tables import to_table

Obj = dict[str, Any]
Reply = tuple[int, Any]

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"


WriteGuard = Callable[[Resource, Obj, Obj | None], None]  # (resource, new object, stored object or None)


def _suffix() -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=5))


class ResourceHandler:
    """CRUD for the stored kinds of one cluster."""

    def __init__(self, *, cluster: str, objects: KubeObjects, on_write: Callable[[Resource], None]) -> None:
        self.cluster = cluster
        self.objects = objects
        self.on_write = on_write

    # entry point ---------------------------------------------------------------------------------------

    def handle(
        self,
        res: Resource,
        info: RequestInfo,
        query: dict[str, str],
        body: Obj | None,
        ctype: str,
        raw: bytes,
        table: bool,
        guard: WriteGuard | None = None,
    ) -> Reply:
        """``guard`` sees every object about to be written (with the stored one on updates): the RBAC
        storage's escalation prevention lives there, since it needs the caller."""
        if info.subresource:
            raise status.resource_not_found()
        verb = info.verb
        if verb == "list":
            return self.list(res, info, query, table)
        if verb == "get":
            return self.get(res, info, table)
        if verb == "create":
            return self.create(res, info, query, body, guard)
        if verb == "update":
            return self.update(res, info, query, body, guard)
        if verb == "patch":
            return self.patch(res, info, query, ctype, raw, guard)
        if verb == "delete":
            return self.delete(res, info)
        raise status.method_not_allowed(verb, res.name)

    # reads ---------------------------------------------------------------------------------------------

    def list(self, res: Resource, info: RequestInfo, query: dict[str, str], table: bool) -> Reply:
        try:
            items = self.objects.list(
                self.cluster,
                res.api_version,
                res.kind,
                info.namespace or None,
                query.get("labelSelector", ""),
            )
        except SelectorError as err:
            raise status.bad_request(f"unable to parse requirement: {err}") from None
        rv = str(self.objects.revision())
        if table:
            return 200, to_table(res.kind, items, resource_version=rv, now=datetime.now(UTC))
        return 200, {
            "kind": f"{res.kind}List",
            "apiVersion": res.api_version,
            "metadata": {"resourceVersion": rv},
            "items": items,
        }

    def _get(self, res: Resource, namespace: str, name: str) -> Obj:
        try:
            return self.objects.get(self.cluster, res.api_version, res.kind, namespace, name)
        except NotFoundError:
            raise status.not_found(res.name, res.group, name) from None

    def get(self, res: Resource, info: RequestInfo, table: bool) -> Reply:
        namespace = info.namespace if res.namespaced else ""
        obj = self._get(res, namespace, info.name)
        if table:
            rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
            return 200, to_table(res.kind, [obj], resource_version=rv, now=datetime.now(UTC))
        return 200, obj

    # writes --------------------------------------------------------------------------------------------

    def _prepare(self, res: Resource, info: RequestInfo, query: dict[str, str], body: Obj | None) -> Obj:
        if not isinstance(body, dict):
            raise status.bad_request("the body of the request was not a JSON object")
        obj: Obj = dict(body)
        obj.setdefault("apiVersion", res.api_version)
        obj.setdefault("kind", res.kind)
        if obj["kind"] != res.kind or obj["apiVersion"] != res.api_version:
            raise status.bad_request(
                f"the API version in the data ({obj['apiVersion']}) does not match the expected API version "
                f"({res.api_version})"
                if obj["apiVersion"] != res.api_version
                else f"{obj['kind']} is not a {res.kind}"
            )
        if query.get("fieldValidation", "").lower() == "strict":
            unknown = openapi.unknown_fields(obj)
            if unknown:
                fields = ", ".join(f'unknown field "{f}"' for f in unknown)
                raise status.bad_request(
                    f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                    f"strict decoding error: {fields}"
                )
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise status.bad_request("metadata must be an object")
        obj["metadata"] = meta = dict(meta)
        if res.namespaced:
            given = meta.get("namespace")
            if given and given != info.namespace:
                raise status.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = info.namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{_suffix()}"
        if not meta.get("name"):
            raise status.invalid(
                res.kind, res.group, "", "metadata.name: Required value: name or generateName is required"
            )
        self._defaults(res, obj)
        return obj

    def _defaults(self, res: Resource, obj: Obj) -> None:
        if res.kind == "Secret":
            data = dict(obj.get("data") or {})
            for key, value in (obj.pop("stringData", None) or {}).items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            if data:
                obj["data"] = data
            obj.setdefault("type", "Opaque")
        elif res.kind == "Namespace":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        elif res.kind in ("RoleBinding", "ClusterRoleBinding") and not isinstance(obj.get("roleRef"), dict):
            raise status.invalid(
                res.kind, res.group, obj["metadata"]["name"], 'roleRef.kind: Unsupported value: ""'
            )
        if res.group == RBAC:
            obj["metadata"].pop("managedFields", None)

    def _check_namespace(self, res: Resource, namespace: str) -> None:
        if res.namespaced:
            try:
                self.objects.get(self.cluster, "v1", "Namespace", "", namespace)
            except NotFoundError:
                raise status.not_found("namespaces", "", namespace) from None

    def create(
        self,
        res: Resource,
        info: RequestInfo,
        query: dict[str, str],
        body: Obj | None,
        guard: WriteGuard | None,
    ) -> Reply:
        obj = self._prepare(res, info, query, body)
        self._check_namespace(res, info.namespace)
        if guard is not None:
            guard(res, obj, None)
        name = obj["metadata"]["name"]
        if query.get("dryRun") == "All":
            try:
                self.objects.get(self.cluster, res.api_version, res.kind, info.namespace, name)
            except NotFoundError:
                return 201, obj
            raise status.already_exists(res.name, res.group, name)
        try:
            created = self.objects.create(self.cluster, obj)
        except AlreadyExistsError:
            raise status.already_exists(res.name, res.group, name) from None
        self.on_write(res)
        return 201, created

    def _store_update(self, res: Resource, obj: Obj, name: str) -> Obj:
        old = self._get(res, obj["metadata"].get("namespace", ""), name)
        if res.kind in ("RoleBinding", "ClusterRoleBinding") and old.get("roleRef") != obj.get("roleRef"):
            raise status.invalid(
                res.kind,
                res.group,
                name,
                "roleRef: Invalid value: " + json.dumps(obj.get("roleRef")) + ": cannot change roleRef",
            )
        try:
            updated = self.objects.update(self.cluster, obj)
        except ConflictError:
            raise status.conflict(res.name, res.group, name) from None
        except NotFoundError:
            raise status.not_found(res.name, res.group, name) from None
        self.on_write(res)
        return updated

    def update(
        self,
        res: Resource,
        info: RequestInfo,
        query: dict[str, str],
        body: Obj | None,
        guard: WriteGuard | None,
    ) -> Reply:
        obj = self._prepare(res, info, query, body)
        if obj["metadata"]["name"] != info.name:
            raise status.bad_request(
                f"the name of the object ({obj['metadata']['name']}) does not match the name on the URL "
                f"({info.name})"
            )
        if guard is not None:
            guard(res, obj, self._get(res, obj["metadata"].get("namespace", ""), info.name))
        if query.get("dryRun") == "All":
            return 200, obj
        return 200, self._store_update(res, obj, info.name)

    def patch(
        self,
        res: Resource,
        info: RequestInfo,
        query: dict[str, str],
        ctype: str,
        raw: bytes,
        guard: WriteGuard | None,
    ) -> Reply:
        try:
            document = json.loads(raw or b"null")
        except (ValueError, RecursionError) as err:  # RecursionError: nesting too deep
            raise status.bad_request(f"error decoding patch: {err}") from None
        namespace = info.namespace if res.namespaced else ""
        for _ in range(5):
            current = self._get(res, namespace, info.name)
            try:
                if ctype == MERGE_PATCH:
                    patched = patch.json_merge_patch(current, document)
                elif ctype == JSON_PATCH:
                    patched = patch.json_patch(current, document)
                elif ctype == STRATEGIC_PATCH:
                    patched = patch.strategic_merge_patch(current, document, kind=res.kind)
                else:
                    raise status.unsupported_media_type(ctype)
            except patch.PatchError as err:
                raise status.ApiError(code=422, reason="Invalid", message=str(err)) from None
            if not isinstance(patched, dict):
                raise status.bad_request("the patch did not produce an object")
            obj = self._prepare(res, info, query, patched)
            if guard is not None:
                guard(res, obj, current)
            if query.get("dryRun") == "All":
                return 200, obj
            pinned = isinstance(document, dict) and (document.get("metadata") or {}).get("resourceVersion")
            try:
                return 200, self._store_update(res, obj, info.name)
            except status.ApiError as err:
                if err.reason != "Conflict" or pinned:
                    raise
        raise status.conflict(res.name, res.group, info.name)

    def delete(self, res: Resource, info: RequestInfo) -> Reply:
        namespace = info.namespace if res.namespaced else ""
        try:
            old = self.objects.delete(self.cluster, res.api_version, res.kind, namespace, info.name)
        except NotFoundError:
            raise status.not_found(res.name, res.group, info.name) from None
        self.on_write(res)
        details: Obj = {"name": info.name}
        if res.group:
            details["group"] = res.group
        details["kind"] = res.name
        details["uid"] = (old.get("metadata") or {}).get("uid", "")
        return 200, {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }
