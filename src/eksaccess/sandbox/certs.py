"""The sandbox's certificate authorities and their serving certificates.

The AWS endpoint's CA is one per state directory, made once and kept: the AWS config names it, so it
must not change between ``down`` and ``up``. Each cluster of a scenario has a CA of its own (subject
``kubernetes``, as an EKS cluster CA) in ``clusters/NAME/``, so a kubeconfig whose server is another
cluster's endpoint fails as on EKS (x509: certificate signed by unknown authority), not with a 401.
Clusters made later with CreateCluster share the AWS endpoint's CA. Serving certificates cover
``127.0.0.1`` (IP SAN) and ``localhost``. Keys are EC P-256: generating them is fast enough to keep
``sandbox up`` under a second.
"""

from __future__ import annotations

import base64
import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from eksaccess.sandbox.private_files import private_dir, write_private_bytes

CA_VALIDITY = timedelta(days=3650)
SERVER_VALIDITY = timedelta(days=825)
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True, kw_only=True, slots=True)
class CertPaths:
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def in_dir(cls, state_dir: Path) -> CertPaths:
        return cls(
            ca_cert=state_dir / "ca.crt",
            ca_key=state_dir / "ca.key",
            server_cert=state_dir / "server.crt",
            server_key=state_dir / "server.key",
        )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def new_ca(common_name: str, *, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed CA (also used to make deliberately wrong CAs for broken kubeconfigs)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


SANDBOX_CA = "eksaccess sandbox CA"
CLUSTER_CA = "kubernetes"  # the subject of an EKS cluster's CA
PROXY_CA = "eksaccess inspecting proxy CA"
CLUSTERS_DIR = "clusters"


def _server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, *, now: datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eksaccess-sandbox")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + SERVER_VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def ensure_certificates(
    state_dir: Path, *, now: datetime | None = None, common_name: str = SANDBOX_CA
) -> CertPaths:
    """Create the CA (once) and a serving certificate (when missing or near expiry) in ``state_dir``."""
    moment = now or datetime.now(UTC)
    paths = CertPaths.in_dir(state_dir)
    private_dir(state_dir)
    ca_cert = _load_cert(paths.ca_cert)
    ca_key: ec.EllipticCurvePrivateKey | None = None
    if ca_cert is not None and paths.ca_key.exists():
        loaded = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            ca_key = loaded
    if ca_cert is None or ca_key is None:
        ca_key, ca_cert = new_ca(common_name, now=moment)
        write_private_bytes(paths.ca_key, _key_pem(ca_key))
        write_private_bytes(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
        paths.server_cert.unlink(missing_ok=True)
    server = _load_cert(paths.server_cert)
    if (
        server is None
        or not paths.server_key.exists()
        or server.issuer != ca_cert.subject
        or server.not_valid_after_utc - RENEW_BEFORE < moment
    ):
        key, cert = _server_cert(ca_key, ca_cert, now=moment)
        write_private_bytes(paths.server_key, _key_pem(key))
        write_private_bytes(paths.server_cert, cert.public_bytes(serialization.Encoding.PEM))
    return paths


def cluster_cert_dir(state_dir: Path, cluster: str, *, proxy: bool = False) -> Path:
    """Where a cluster's CA and serving certificate live (``proxy``: those of a TLS-inspecting proxy)."""
    folder = state_dir / CLUSTERS_DIR / cluster
    return folder / "proxy" if proxy else folder


def ensure_cluster_certificates(state_dir: Path, cluster: str, *, proxy: bool = False) -> CertPaths:
    """The CA and serving certificate of one cluster's API server (made once, like the sandbox CA)."""
    folder = cluster_cert_dir(state_dir, cluster, proxy=proxy)
    for level in (state_dir / CLUSTERS_DIR, folder.parent, folder):  # each level 0700, not just the last
        private_dir(level)
    return ensure_certificates(folder, common_name=PROXY_CA if proxy else CLUSTER_CA)


def ca_data(paths: CertPaths) -> str:
    """``certificateAuthority.data`` as EKS returns it: base64 of the CA's PEM."""
    return base64.b64encode(paths.ca_cert.read_bytes()).decode("ascii")


def foreign_ca_data(*, now: datetime | None = None) -> str:
    """base64 PEM of a CA nobody serves with: what a kubeconfig of a recreated cluster still holds."""
    _, cert = new_ca("kubernetes", now=now or datetime.now(UTC))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode("ascii")


def server_ssl_context(paths: CertPaths) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(paths.server_cert), str(paths.server_key))
    return context
