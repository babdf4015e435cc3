"""Translate Azure SDK exceptions into adlstrace errors, one place for both SDK families."""

from __future__ import annotations

import json
import re
import ssl
from typing import Any

from adlstrace.errors import AuthError, AzureCallError
from adlstrace.sources.base import ResourceMissing
from adlstrace.sources.retry import RETRYABLE_STATUS, TransientError


def parse_retry_after(headers: Any) -> float | None:
    """Read Retry-After in seconds. The HTTP-date form is treated as absent."""
    if not headers:
        return None
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        return None


def error_code_and_message(body: str | bytes | None) -> tuple[str, str]:
    """Read `{"error": {"code", "message"}}` (ARM) or `{"code", "message"}` (ADLA) bodies."""
    if not body:
        return "", ""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("code") or ""), str(data.get("message") or "")


def classify_status(
    call: str,
    resource: str,
    status: int,
    headers: Any,
    body: str | bytes | None,
    identity_hint: str,
) -> Exception:
    """Return the exception for an HTTP error status from `call` on `resource`."""
    code, message = error_code_and_message(body)
    detail = f"{code}: {message}" if code else message
    if status == 404:
        return ResourceMissing(call, resource, code, message)
    if status in RETRYABLE_STATUS:
        return TransientError(f"HTTP {status}" + (f" {code}" if code else ""), status, parse_retry_after(headers))
    if status == 401:
        return AuthError(
            f"{call} on {resource} was rejected: the token was not accepted (HTTP 401 {detail}).",
            f"Check that {identity_hint} is signed in to the tenant that owns the resource.",
        )
    if status == 403:
        return AuthError(
            f"{call} on {resource} was forbidden (HTTP 403 {detail}).",
            f"Grant {identity_hint} a role that can read it: Data Factory Contributor or Reader on "
            "the factory, and Data Lake Analytics Developer or Reader on the ADLA account.",
        )
    return AzureCallError(
        f"{call} on {resource} failed with HTTP {status} {detail}".rstrip(),
        "Run again with --debug for the full response.",
        status=status,
        code=code,
    )


def wrong_shape(call: str, resource: str, what: str) -> AzureCallError:
    return AzureCallError(
        f"{call} on {resource} returned a body of the wrong shape: {what}.",
        "Check ADLSTRACE_ARM_ENDPOINT / ADLSTRACE_ADLA_JOB_ENDPOINT point at Azure, then retry.",
    )


def require_object(call: str, resource: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise wrong_shape(call, resource, f"expected a JSON object, got {type(data).__name__}")
    return data


# Text in OpenSSL and requests errors when a certificate cannot be verified. Retrying cannot
# help, so these end the call at once instead of being retried as a connection error.
_TLS_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "TLS CA certificate bundle")
# OpenSSL's reason, as in "certificate verify failed: unable to get local issuer certificate".
_TLS_REASON = re.compile(r"certificate verify failed: [^()'\"\]]+")


def tls_failure(call: str, resource: str, error: BaseException) -> AzureCallError | None:
    """Return an error for a TLS certificate problem anywhere in `error`'s chain, else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        if isinstance(current, ssl.SSLCertVerificationError) or any(marker in text for marker in _TLS_MARKERS):
            reason = _TLS_REASON.search(text)
            return AzureCallError(
                f"{call} ({resource}) failed: the server's TLS certificate could not be verified"
                f" ({reason.group(0).strip() if reason else text[:200]}).",
                "If a proxy inspects TLS, set REQUESTS_CA_BUNDLE to a file with its CA certificate; "
                "check that REQUESTS_CA_BUNDLE, if set, names a readable PEM file.",
                code="TlsVerificationFailed",
            )
        inner = getattr(current, "inner_exception", None)
        current = inner if isinstance(inner, BaseException) else current.__cause__ or current.__context__
    return None
