"""Azure credentials: azure-identity for ARM, and an adapter for the msrest-based ADLA SDK."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from adlstrace.errors import AuthError, UsageError


def build_credential(kind: str) -> Any:
    """Create the azure-identity credential named by ADLSTRACE_CREDENTIAL or --credential."""
    import azure.identity as identity

    factories: dict[str, Callable[[], Any]] = {
        "default": lambda: identity.DefaultAzureCredential(exclude_interactive_browser_credential=True),
        "cli": identity.AzureCliCredential,
        "environment": identity.EnvironmentCredential,
        "managed-identity": identity.ManagedIdentityCredential,
        "powershell": identity.AzurePowerShellCredential,
        "device-code": identity.DeviceCodeCredential,
    }
    if kind not in factories:
        raise UsageError(f"Unknown credential kind {kind!r}.", "Use one of: " + ", ".join(factories))
    return factories[kind]()


class MsrestTokenAdapter:
    """Let an azure-identity credential sign requests of an msrest SDK client.

    azure-mgmt-datalake-analytics 0.6.0 calls `credentials.signed_session(session)` before
    each request and expects a requests.Session back; azure-identity credentials only offer
    `get_token`, hence `AttributeError: no attribute 'signed_session'` without this adapter.
    Tokens are cached until five minutes before they expire.
    """

    _REFRESH_MARGIN_SECONDS = 300

    def __init__(self, credential: Any, scope: str) -> None:
        self._credential = credential
        self._scope = scope
        self._token: str | None = None
        self._expires_on = 0
        self._lock = threading.Lock()

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._expires_on - time.time() < self._REFRESH_MARGIN_SECONDS:
                try:
                    access = self._credential.get_token(self._scope)
                except Exception as error:  # azure-identity raises several unrelated types
                    raise AuthError(
                        f"Could not get a token for {self._scope}: {type(error).__name__}.",
                        "Sign in (az login) or set ADLSTRACE_CREDENTIAL to a credential that works here.",
                    ) from error
                self._token = access.token
                self._expires_on = int(access.expires_on)
            return self._token

    def signed_session(self, session: Any = None) -> Any:
        import requests

        session = session or requests.Session()
        session.headers["Authorization"] = f"Bearer {self._bearer()}"
        return session
