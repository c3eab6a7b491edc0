"""doctor's reading of the kubeconfig: what kubectl would use, and what is wrong with it."""

from __future__ import annotations

from pathlib import Path

from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig, load
from eksaccess.domain.findings import FindingCode
from eksaccess.domain.kubeconfig import KubeconfigError
from eksaccess.features.doctor.target import DoctorOptions, Target, resolve_target

ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"


def _kubeconfig(
    tmp_path: Path,
    *,
    api_version: str = "client.authentication.k8s.io/v1beta1",
    args: str = "[--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]",
    command: str = "aws",
    extra_user: str = "",
) -> Path:
    path = tmp_path / "config"
    path.write_text(f"""\
apiVersion: v1
kind: Config
current-context: {ARN}
clusters:
- name: {ARN}
  cluster: {{server: "https://prod.example", certificate-authority-data: Q0E=}}
users:
- name: {ARN}
  user:
    exec:
      apiVersion: {api_version}
      command: {command}
      args: {args}
      env: [{{name: AWS_PROFILE, value: dev}}]
{extra_user}contexts:
- name: {ARN}
  context: {{cluster: {ARN}, user: {ARN}}}
""")
    return path


def _resolve(
    path: Path | None, options: DoctorOptions | None = None, which: str | None = "/usr/bin/aws"
) -> Target:
    def loader() -> LoadedKubeconfig:
        return load(str(path) if path else None, {"HOME": "/nonexistent"})

    return resolve_target(options or DoctorOptions(), loader, lambda _cmd: which)


def test_healthy_entry_gives_everything(tmp_path: Path) -> None:
    target = _resolve(_kubeconfig(tmp_path))
    assert target.findings == ()
    assert (target.cluster_name, target.region, target.profile) == ("prod", "eu-west-1", "dev")
    assert target.server == "https://prod.example"


def test_wrong_cluster_name_in_the_token_is_kept_apart(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, args="[--region, eu-west-1, eks, get-token, --cluster-name, prod-old]")
    target = _resolve(path)
    assert target.cluster_name == "prod"
    assert target.token_cluster_name == "prod-old"


def test_v1alpha1_is_flagged(tmp_path: Path) -> None:
    target = _resolve(_kubeconfig(tmp_path, api_version="client.authentication.k8s.io/v1alpha1"))
    assert [f.code for f in target.findings] == [FindingCode.EXEC_API_VERSION_UNSUPPORTED]


def test_v1_needs_interactive_mode(tmp_path: Path) -> None:
    target = _resolve(_kubeconfig(tmp_path, api_version="client.authentication.k8s.io/v1"))
    assert [f.code for f in target.findings] == [FindingCode.EXEC_API_VERSION_UNSUPPORTED]
    assert "interactiveMode must be specified" in target.findings[0].detail


def test_missing_command(tmp_path: Path) -> None:
    target = _resolve(_kubeconfig(tmp_path), which=None)
    assert [f.code for f in target.findings] == [FindingCode.EXEC_COMMAND_NOT_FOUND]


def test_not_an_eks_exec(tmp_path: Path) -> None:
    target = _resolve(_kubeconfig(tmp_path, command="gke-gcloud-auth-plugin", args="[]"))
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_NOT_EKS_EXEC]


def test_missing_context(tmp_path: Path) -> None:
    target = _resolve(_kubeconfig(tmp_path), DoctorOptions(context="nope"))
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_CONTEXT_MISSING]


def test_no_kubeconfig_at_all(tmp_path: Path) -> None:
    target = _resolve(None)
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_NOT_FOUND]
    assert not target.usable


def test_invalid_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "bad"
    path.write_text("clusters: [\n")
    target = _resolve(path)
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_INVALID]


def test_flags_override_the_kubeconfig(tmp_path: Path) -> None:
    target = _resolve(
        _kubeconfig(tmp_path), DoctorOptions(profile="admin", region="us-east-1", cluster="other")
    )
    assert (target.cluster_name, target.region, target.profile) == ("other", "us-east-1", "admin")


def test_loader_errors_are_findings_not_crashes(tmp_path: Path) -> None:
    def broken() -> LoadedKubeconfig:
        raise KubeconfigError("kubeconfig /x does not exist")

    target = resolve_target(DoctorOptions(), broken, lambda _c: None)
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_NOT_FOUND]


def test_a_deleted_current_context_switches_to_the_one_left(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path)
    path.write_text(path.read_text().replace(f"current-context: {ARN}", "current-context: staging"))
    (finding,) = _resolve(path).findings
    assert finding.code is FindingCode.KUBECONFIG_CONTEXT_MISSING
    assert [c for step in finding.fix for c in step.plain] == [f"kubectl config use-context {ARN}"]
    # the person named the missing context (--context), or several are left: which one is theirs to say
    (named,) = _resolve(path, DoctorOptions(context="staging")).findings
    assert not [c for step in named.fix for c in step.plain]
    two = path.read_text() + f"- name: other\n  context: {{cluster: {ARN}, user: {ARN}}}\n"
    path.write_text(two)
    (several,) = _resolve(path).findings
    assert not [c for step in several.fix for c in step.plain]
