"""How a principal gets its access: through an access entry, a row of aws-auth, or whichever the cluster's
authentication mode allows (``auto``). Its own module, so that code naming the mechanism (doctor's fixes
among them) does not load the desired-state file's models."""

from __future__ import annotations

from enum import StrEnum


class Via(StrEnum):
    AUTO = "auto"
    ACCESS_ENTRY = "access-entry"
    AWS_AUTH = "aws-auth"
