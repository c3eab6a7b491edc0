"""The real ports doctor runs with: boto3, the Kubernetes client, the system clock, the AWS config."""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eksaccess.adapters.exec_plugin import run_exec
from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig, load
from eksaccess.adapters.ports import ExecRun
from eksaccess.adapters.transient import TransientAnswers
from eksaccess.domain.cli_cache import CacheEntry, assume_role_chain, cache_path, display_path, exec_profile
from eksaccess.domain.iam.principal import InvalidArnError, canonicalize, split_arn
from eksaccess.domain.kubeconfig import ExecConfig
from eksaccess.domain.sts_answer import is_transient

if TYPE_CHECKING:
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.adapters.aws_profiles import ProfileCredentials
    from eksaccess.adapters.kube import KubeClient

# botocore, urllib3 and the clients load on first use: doctor builds these ports and starts the exec plugin
# before the heavy modules load, so the plugin's start-up overlaps them.

EXEC_TIMEOUT_S = 10.0
STS_ATTEMPTS = 6  # as botocore's adaptive and standard modes retry a throttled or failed call


@dataclass
class LivePorts:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    transient: TransientAnswers = field(default_factory=TransientAnswers)
    _sessions: dict[tuple[str | None, str | None], AwsSession] = field(default_factory=dict, repr=False)
    _sessions_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def aws(self, *, profile: str | None, region: str | None) -> AwsSession:
        """One session per profile and region for the life of these ports, which is one walk of the chain
        (a walk after a fix gets new ports, so it resolves the credentials afresh)."""
        from eksaccess.adapters.aws import AwsSession

        with self._sessions_lock:
            if (profile, region) not in self._sessions:
                self._sessions[(profile, region)] = AwsSession(
                    profile=profile, region=region, transient=self.transient
                )
            return self._sessions[(profile, region)]

    def transient_answers(self) -> int:
        """AWS answers in this run that decided nothing (throttling, 5xx, no connection), retried or not."""
        return self.transient.count

    def kube(self, *, server: str, ca_data: str | None, token: str | None) -> KubeClient:
        from eksaccess.adapters.kube import KubeClient

        return KubeClient(server=server, ca_data=ca_data, token=token)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def which(self, command: str) -> str | None:
        return shutil.which(command, path=self.env.get("PATH"))

    def load_kubeconfig(self, explicit: str | None) -> LoadedKubeconfig:
        return load(explicit, self.env)

    def run_exec(self, config: ExecConfig, stop: threading.Event) -> ExecRun:
        return run_exec(config, stop, env=self.env, which=self.which)

    def cli_cache(self, config: ExecConfig) -> tuple[CacheEntry, ...]:
        """The aws CLI's cached assumed-role credentials the exec plugin signs with (its profile's chain),
        read from the config files in the plugin's environment; nothing when they cannot be read."""
        env = {**self.env, **dict(config.env)}
        home = env.get("HOME") or os.path.expanduser("~")

        def in_home(path: str) -> str:
            return home + path[1:] if path == "~" or path.startswith("~/") else path

        session = _botocore_session()
        session.set_config_variable("config_file", in_home(env.get("AWS_CONFIG_FILE") or "~/.aws/config"))
        session.set_config_variable(
            "credentials_file", in_home(env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")
        )
        try:
            profiles = session.full_config.get("profiles", {})
        except Exception:  # an unreadable config only means no cache entry to name
            return ()
        entries = []
        for role in assume_role_chain(profiles, exec_profile(config.args, env)):
            path = cache_path(home, role.cache_key)
            entries.append(
                CacheEntry(
                    profile=role.profile,
                    role_arn=role.role_arn,
                    path=path,
                    shown=display_path(path, home),
                    exists=os.path.isfile(path),
                )
            )
        return tuple(entries)

    def sts_check(self, url: str, cluster_name: str) -> tuple[int, str]:
        """GET the presigned URL as the authenticator does, with the real cluster's x-k8s-aws-id; an answer
        that decides nothing (throttling, 5xx, no connection) is retried with backoff, as botocore would."""
        import urllib3

        ca_bundle = _botocore_session().get_config_variable("ca_bundle")
        pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle or None, timeout=urllib3.Timeout(total=10)
        )
        answer: tuple[int, str] = (0, "")
        for attempt in range(STS_ATTEMPTS):
            if attempt:
                time.sleep(min(2.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
            try:
                response = pool.request(
                    "GET",
                    url,
                    headers={"x-k8s-aws-id": cluster_name, "accept": "application/json"},
                    redirect=False,
                    retries=False,
                )
            except urllib3.exceptions.HTTPError as err:
                answer = (0, str(err))
                self.transient.add()
                continue
            answer = (response.status, response.data.decode("utf-8", errors="replace")[:4000])
            if not is_transient(*answer):
                break
            self.transient.add()
        return answer

    def candidate_regions(self) -> list[str]:
        """Regions worth looking in for a cluster: those of the AWS profiles and of the kubeconfig's clusters."""
        regions: list[str] = []
        try:
            config = _botocore_session().full_config.get("profiles", {})
            regions += [v["region"] for v in config.values() if isinstance(v.get("region"), str)]
        except Exception:  # an unreadable config only means fewer places to look
            pass
        try:
            for name in self.load_kubeconfig(None).config.clusters:
                try:
                    fields = split_arn(name)
                except InvalidArnError:
                    continue
                if fields.service == "eks":
                    regions.append(fields.region)
        except Exception:
            pass
        return list(dict.fromkeys(r for r in regions if r))[:8]

    def profiles_by_role(self) -> dict[str, str]:
        """Profiles of the AWS config that assume a role: canonical role ARN (lower case) -> profile."""
        found: dict[str, str] = {}
        try:
            config = _botocore_session().full_config.get("profiles", {})
        except Exception:  # an unreadable config only means no suggestions
            return found
        for name, values in config.items():
            arn = values.get("role_arn")
            if isinstance(arn, str):
                try:
                    found.setdefault(canonicalize(arn).lower(), name)
                except InvalidArnError:
                    continue
        return found

    def describe_profile(self, profile: str | None) -> ProfileCredentials:
        from eksaccess.adapters.aws_profiles import describe_profile

        return describe_profile(profile, self.env)

    def profile_with_key(self, access_key_id: str) -> str | None:
        """The AWS profile whose aws_access_key_id is ``access_key_id`` (credentials file first, as botocore
        reads it), e.g. the signer of a static token; None when no profile holds it."""
        import botocore.configloader

        session = _botocore_session()
        try:
            path = session.get_config_variable("credentials_file")
            sources = [botocore.configloader.raw_config_parse(path) if path else {}]
            sources.append(session.full_config.get("profiles", {}))
        except Exception:  # an unreadable file only means no profile to name
            return None
        for profiles in sources:
            for name, values in sorted(profiles.items()):
                if isinstance(values, dict) and values.get("aws_access_key_id") == access_key_id:
                    return str(name)
        return None

    def egress_ip(self) -> str:
        """This machine's public IP, by AWS's check-IP service (CheckIpError when it cannot be learnt)."""
        from eksaccess.adapters.check_ip import egress_ip

        return egress_ip(self.env)


def _botocore_session() -> Any:
    """A session that reads the AWS config only (loaded here, on first use: see above)."""
    from eksaccess.adapters.aws_profiles import config_session

    return config_session()
