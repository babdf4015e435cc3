"""Step 2: find the ADLA account behind an activity's linked service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adlstrace.resolver.context import ResolveContext
from adlstrace.settings import DEFAULT_ADLA_SUFFIX
from adlstrace.sources.base import Json, ResourceMissing, member


@dataclass(frozen=True)
class AdlaAccount:
    name: str
    dns_suffix: str
    linked_service: str | None
    source: str

    @property
    def job_host(self) -> str:
        return f"{self.name}.{self.dns_suffix}"

    def job_url(self, job_id: str) -> str:
        """Return the portal job link for support, on the public host even when a test endpoint is set."""
        return f"https://{self.job_host}/jobLink/{job_id}"


class AccountUnresolved(Exception):
    """The account could not be determined; the message goes into the report's notes."""


def _plain_value(value: Any) -> str | None:
    """Linked-service properties may be plain strings or `{"value": ..., "type": "Expression"}`."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        text = value["value"].strip()
        if value.get("type") == "Expression" or text.startswith("@"):
            return None
        return text or None
    return None


def linked_service_name(activity: Json) -> str | None:
    name = activity.get("linkedServiceName")
    if isinstance(name, dict):
        name = name.get("referenceName")
    return name.strip() if isinstance(name, str) and name.strip() else None


def normalise_suffix(uri: str | None) -> str:
    """`dataLakeAnalyticsUri` holds the DNS suffix, sometimes written as a URL."""
    if not uri:
        return DEFAULT_ADLA_SUFFIX
    text = uri.strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.strip("/.") or DEFAULT_ADLA_SUFFIX


def resolve_account(ctx: ResolveContext, activity: Json) -> AdlaAccount:
    if ctx.adla_account:
        return AdlaAccount(ctx.adla_account, ctx.adla_dns_suffix or DEFAULT_ADLA_SUFFIX, None, "--adla-account")
    name = linked_service_name(activity)
    if not name:
        raise AccountUnresolved("The activity run names no linked service; pass --adla-account to look the job up.")
    try:
        service = ctx.source.get_linked_service(ctx.factory, name)
    except ResourceMissing:
        raise AccountUnresolved(
            f"Linked service {name} was not found in factory {ctx.factory.name} (deleted or renamed "
            "since the run?); pass --adla-account."
        ) from None
    properties = member(service, "properties")
    kind = properties.get("type")
    if kind != "AzureDataLakeAnalytics":
        raise AccountUnresolved(f"Linked service {name} is of type {kind!r}, not AzureDataLakeAnalytics.")
    type_properties = properties.get("typeProperties") or {}
    account = _plain_value(type_properties.get("accountName"))
    if not account:
        raise AccountUnresolved(
            f"Linked service {name} sets accountName by an expression or not at all; pass --adla-account."
        )
    suffix = normalise_suffix(_plain_value(type_properties.get("dataLakeAnalyticsUri")))
    return AdlaAccount(account.lower(), suffix, name, f"linked service {name}")
