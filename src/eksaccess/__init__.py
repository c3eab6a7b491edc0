"""eksaccess: diagnose, analyse and manage IAM access to Amazon EKS clusters."""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    """``__version__`` is read from the installed metadata on first use only.

    importlib.metadata costs tens of milliseconds; ``eksaccess token`` serves cache hits without it.
    """
    if name != "__version__":
        raise AttributeError(f"module 'eksaccess' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("eksaccess")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        found = "0.0.0"
    globals()["__version__"] = found
    return found
