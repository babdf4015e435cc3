"""Settings read from the environment: endpoints, credential kind and network limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from adlstrace.errors import UsageError

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
DEFAULT_ADLA_SUFFIX = "azuredatalakeanalytics.net"
DEFAULT_ADLA_TEMPLATE = "https://{account}." + DEFAULT_ADLA_SUFFIX
ARM_SCOPE = "https://management.azure.com/.default"
# The Data Lake data-plane audience, shared by ADLA job and ADLS Gen1 APIs.
ADLA_SCOPE = "https://datalake.azure.net/.default"

CREDENTIAL_KINDS = ("default", "cli", "environment", "managed-identity", "powershell", "device-code")


@dataclass(frozen=True)
class Settings:
    """Where Azure lives and how to reach it.

    `timeout` is the per-request read timeout in seconds; `max_attempts` counts the first try.
    """

    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    arm_scope: str = ARM_SCOPE
    adla_job_endpoint: str = DEFAULT_ADLA_TEMPLATE
    adla_scope: str = ADLA_SCOPE
    credential: str = "default"
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_attempts: int = 4
    max_backoff: float = 30.0

    def adla_endpoint_for(self, account: str) -> str:
        return self.adla_job_endpoint.replace("{account}", account)


def _check_https(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(f"Invalid {name} {value!r}: expected an https:// URL.")
    return value.rstrip("/")


def _float_setting(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"Invalid {name} {raw!r}: expected a number of seconds.") from None
    if value <= 0:
        raise UsageError(f"Invalid {name} {raw!r}: it must be greater than zero.")
    return value


def _check_ca_bundle() -> None:
    # requests reads REQUESTS_CA_BUNDLE itself and fails only at the first request, with an
    # OSError that names no setting. An empty value means "system CAs", which is valid.
    bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    if bundle and not os.path.exists(bundle):
        raise UsageError(
            f"REQUESTS_CA_BUNDLE names {bundle}, which does not exist.",
            "Point it at a PEM file of CA certificates, or unset it to use the system CAs.",
        )


def load_settings(credential: str | None = None) -> Settings:
    """Read settings from ADLSTRACE_* variables; `credential` (a CLI flag) wins over the env."""
    arm = _check_https("ADLSTRACE_ARM_ENDPOINT", os.environ.get("ADLSTRACE_ARM_ENDPOINT") or DEFAULT_ARM_ENDPOINT)
    adla = os.environ.get("ADLSTRACE_ADLA_JOB_ENDPOINT") or DEFAULT_ADLA_TEMPLATE
    if "{account}" not in adla:
        raise UsageError(
            f"Invalid ADLSTRACE_ADLA_JOB_ENDPOINT {adla!r}: it must contain {{account}}.",
            "For example https://{account}.azuredatalakeanalytics.net",
        )
    _check_https("ADLSTRACE_ADLA_JOB_ENDPOINT", adla.replace("{account}", "account"))
    kind = (credential or os.environ.get("ADLSTRACE_CREDENTIAL") or "default").strip().lower()
    if kind not in CREDENTIAL_KINDS:
        source = "--credential" if credential else "ADLSTRACE_CREDENTIAL"
        raise UsageError(
            f"Unknown credential kind {kind!r} (from {source}).",
            "Use one of: " + ", ".join(CREDENTIAL_KINDS) + ".",
        )
    _check_ca_bundle()
    return Settings(
        arm_endpoint=arm,
        arm_scope=os.environ.get("ADLSTRACE_ARM_SCOPE") or ARM_SCOPE,
        adla_job_endpoint=adla.rstrip("/"),
        adla_scope=os.environ.get("ADLSTRACE_ADLA_SCOPE") or ADLA_SCOPE,
        credential=kind,
        timeout=_float_setting("ADLSTRACE_TIMEOUT", 30.0),
    )
