"""eksaccess: diagnose, analyse and manage IAM access to Amazon EKS clusters."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eksaccess")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
