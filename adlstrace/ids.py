"""Identifiers users paste: run IDs, factory resource IDs, Studio URLs and ADLA job links."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from adlstrace.errors import UsageError

logger = logging.getLogger(__name__)

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_FACTORY_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.DataFactory/factories/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
# ADF factory names: 3-63 characters, letters, digits and hyphens, starting and ending
# with a letter or digit (Azure naming rules for Microsoft.DataFactory/factories).
_FACTORY_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{1,61}[A-Za-z0-9])$")
# ADLA account names: 3-24 lowercase letters and digits.
_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


@dataclass(frozen=True)
class FactoryRef:
    """One data factory, by subscription, resource group and name."""

    subscription_id: str
    resource_group: str
    name: str

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.DataFactory/factories/{self.name}"
        )


@dataclass(frozen=True)
class StudioLink:
    """The run ID and factory read from a pasted ADF Studio monitoring URL."""

    run_id: str
    factory: FactoryRef


@dataclass(frozen=True)
class JobLink:
    """An ADLA job link: `https://{account}.{suffix}/jobLink/{jobId}`."""

    account: str
    job_id: str
    dns_suffix: str


def parse_run_id(value: str, what: str = "activity run ID") -> str:
    """Validate a run ID (a GUID) and return it in lowercase canonical form."""
    text = value if isinstance(value, str) else ""
    if not text.strip():
        raise UsageError(f"The {what} is empty.", f"Pass the {what} as shown in ADF monitoring.")
    if text != text.strip() or any(ch.isspace() for ch in text):
        raise UsageError(
            f"Invalid {what} {text!r}: it contains spaces or line breaks.",
            "Copy the ID again without surrounding whitespace.",
        )
    if not _GUID.fullmatch(text):
        raise UsageError(
            f"Invalid {what} {text!r}: expected a GUID such as 3f2b8c1e-0d4a-4e7b-9c61-2a5d7e9f0b13.",
            "Copy the run ID from the ADF monitoring view, or paste the monitoring URL itself.",
        )
    return str(uuid.UUID(text))


def is_guid(value: str) -> bool:
    return bool(_GUID.fullmatch(value.strip()))


def parse_factory(factory: str | None, resource_group: str | None, subscription_id: str | None) -> FactoryRef:
    """Build a FactoryRef from `--factory` (a name or a full resource ID) and its companions."""
    if not factory:
        raise UsageError(
            "No data factory given.",
            "Pass --factory NAME (or a factory resource ID), or set ADLSTRACE_FACTORY.",
        )
    if factory.startswith("/"):
        match = _FACTORY_ID.match(factory.strip())
        if not match:
            raise UsageError(
                f"Invalid factory resource ID {factory!r}.",
                "Expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.DataFactory/factories/<name>.",
            )
        ref = FactoryRef(parse_subscription(match["sub"]), match["rg"], match["name"])
        for given, named, what in (
            (resource_group, ref.resource_group, "resource group"),
            (subscription_id, ref.subscription_id, "subscription"),
        ):
            if given and given.strip().lower() != named.lower():
                logger.warning("The factory resource ID names %s %s; %s is ignored.", what, named, given)
        return ref
    if not _FACTORY_NAME.match(factory):
        raise UsageError(
            f"Invalid factory name {factory!r}.",
            "Factory names are 3-63 letters, digits and hyphens; or pass the full resource ID.",
        )
    if not resource_group:
        raise UsageError(
            f"No resource group given for factory {factory!r}.",
            "Pass --resource-group, set ADLSTRACE_RESOURCE_GROUP, or pass the factory resource ID.",
        )
    if not subscription_id:
        raise UsageError(
            f"No subscription given for factory {factory!r}.",
            "Pass --subscription, set AZURE_SUBSCRIPTION_ID, or pass the factory resource ID.",
        )
    return FactoryRef(parse_subscription(subscription_id), resource_group, factory)


def parse_subscription(value: str) -> str:
    if not _GUID.fullmatch(value.strip()):
        raise UsageError(
            f"Invalid subscription ID {value!r}: expected a GUID.",
            "Copy it from the factory's resource ID or from `az account show --query id`.",
        )
    return value.strip()


def parse_account_name(value: str) -> str:
    if not _ACCOUNT_NAME.match(value or ""):
        raise UsageError(
            f"Invalid Data Lake Analytics account name {value!r}.",
            "Account names are 3-24 lowercase letters and digits.",
        )
    return value


def looks_like_url(value: str) -> bool:
    return value.strip().lower().startswith(("https://", "http://"))


def parse_studio_url(url: str) -> StudioLink:
    """Read the run ID and factory from an ADF Studio monitoring URL.

    Studio URLs look like `https://adf.azure.com/en/monitoring/pipelineruns/<runId>?factory=
    %2Fsubscriptions%2F...%2Ffactories%2F<name>`. The run ID is taken from a `runId` or
    `activityRunId` query parameter when present, else from the last GUID in the path.
    """
    parts = _split_url(url)
    query = parse_qs(parts.query)
    factory_values = query.get("factory") or query.get("factoryId")
    if not factory_values:
        raise UsageError(
            f"The URL {url!r} has no factory parameter.",
            "Paste the full URL from the ADF Studio monitoring view, or pass the run ID.",
        )
    factory_id = unquote(factory_values[0])
    match = _FACTORY_ID.match(factory_id)
    if not match:
        raise UsageError(f"The URL's factory parameter {factory_id!r} is not a factory resource ID.")
    run_id = None
    for key in ("activityRunId", "runId", "pipelineRunId"):
        if query.get(key) and is_guid(query[key][0]):
            run_id = query[key][0]
            break
    if run_id is None:
        found = _GUID.findall(unquote(parts.path))
        if not found:
            raise UsageError(
                f"The URL {url!r} contains no run ID.",
                "Open the run in ADF Studio monitoring and copy its URL again.",
            )
        run_id = found[-1]
    return StudioLink(parse_run_id(run_id), FactoryRef(parse_subscription(match["sub"]), match["rg"], match["name"]))


def parse_job_link(url: str) -> JobLink:
    """Read account, DNS suffix and job ID from `https://{account}.{suffix}/jobLink/{jobId}`."""
    parts = _split_url(url)
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[-2].lower() != "joblink" or "." not in host:
        raise UsageError(
            f"Invalid ADLA job link {url!r}.",
            "Expected https://<account>.azuredatalakeanalytics.net/jobLink/<job-id>.",
        )
    account, _, suffix = host.partition(".")
    # ADLA job hosts are {account}.azuredatalakeanalytics.net, the default dataLakeAnalyticsUri
    # of the ADF linked service. A link to another host is most likely a pasting mistake, and
    # `job ACCOUNT JOB_ID` still works for an account under another suffix.
    if "azuredatalakeanalytics" not in suffix:
        raise UsageError(
            f"The host {host} of {url!r} is not an ADLA job host.",
            "Expected https://<account>.azuredatalakeanalytics.net/jobLink/<job-id>; or pass the account and job ID.",
        )
    return JobLink(parse_account_name(account), parse_run_id(segments[-1], "job ID"), suffix)


def _split_url(url: str) -> SplitResult:
    try:
        return urlsplit(url.strip())
    except ValueError as error:
        # urlsplit rejects an unbalanced IPv6 bracket such as https://[host/.
        raise UsageError(f"Invalid URL {url!r}: {error}.", "Copy the URL again from the browser.") from None
