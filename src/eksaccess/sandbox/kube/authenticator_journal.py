"""The authenticator's log of one sandbox cluster: while the cluster's control-plane log type
``authenticator`` is on, each token the cluster decides on (an API server cache miss, as EKS's webhook
sees it) becomes lines in CloudWatch Logs, group ``/aws/eks/NAME/cluster``, stream ``authenticator-<hex>``,
in the authenticator's own format (``domain/authenticator_log.py``): ``STS response`` once STS answered,
then ``access granted`` or ``access denied``."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

from eksaccess.domain.authenticator_log import (
    DENIED,
    GRANTED,
    LOG_TYPE,
    STREAM_PREFIX,
    STS_RESPONSE,
    format_line,
    go_groups,
    log_group,
)
from eksaccess.domain.token import StsIdentity
from eksaccess.sandbox.aws.cluster_logging import changes, enabled_types
from eksaccess.sandbox.aws.logs import put_event
from eksaccess.sandbox.context import SandboxContext

AUTHENTICATED = "system:authenticated"


def stream_name(cluster_arn: str) -> str:
    return STREAM_PREFIX + hashlib.sha256(cluster_arn.encode()).hexdigest()[:32]


class AuthenticatorJournal:
    """Writes one cluster's authenticator lines (nothing while its ``authenticator`` logging is off)."""

    def __init__(self, *, cluster: str, ctx: SandboxContext) -> None:
        self.cluster = cluster
        self.ctx = ctx
        self._checked: tuple[int, bool] | None = None  # (changes(), on): read again after a change

    def _on(self) -> bool:
        """Whether the cluster logs ``authenticator`` (the setting is read once, and after each change)."""
        seen = changes()
        if self._checked is None or self._checked[0] != seen:
            self._checked = (seen, LOG_TYPE in enabled_types(self.ctx.store, self.cluster))
        return self._checked[1]

    def _write(self, level: str, msg: str, fields: dict[str, str], *, request: bool = True) -> None:
        store = self.ctx.store
        if not self._on():
            return
        record = store.get_cluster(self.cluster)
        if record is None:
            return
        now = datetime.now(UTC) + self.ctx.clock_offset
        # the webhook's client is the API server, over loopback
        client = f"127.0.0.1:{random.randint(32768, 60999)}" if request else None
        line = format_line(at=now, level=level, msg=msg, fields=fields, client=client)
        put_event(
            store,
            account=record.account_id,
            region=record.region,
            group=log_group(record.name),
            stream=stream_name(record.arn),
            message=line,
            at=now.timestamp(),
        )

    def sts_response(self, identity: StsIdentity, access_key_id: str, sts_host: str) -> None:
        self._write(
            "info",
            STS_RESPONSE,
            {
                "accesskeyid": access_key_id,
                "accountid": identity.account,
                "arn": identity.arn,
                "session": identity.session_name or "",
                "stsendpoint": sts_host,
                "userid": identity.principal_id,
            },
            request=False,  # logged by the token verifier, without the request's fields
        )

    def granted(self, *, arn: str, username: str, uid: str, groups: tuple[str, ...]) -> None:
        mapped = [g for g in groups if g != AUTHENTICATED]  # the API server adds it, not the webhook
        fields = {"arn": arn, "groups": go_groups(mapped), "uid": uid, "username": username}
        self._write("info", GRANTED, fields)

    def denied(self, error: str, *, arn: str | None = None) -> None:
        self._write("warning", DENIED, {"error": error, **({"arn": arn} if arn else {})})
