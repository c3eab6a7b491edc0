"""Suite-wide settings: these machines are shared and noisy, so no test is judged by its timing."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "eksaccess", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("eksaccess")
