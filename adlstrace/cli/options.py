"""Options shared by the report commands, with their environment fallbacks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Factory = Annotated[
    str | None,
    typer.Option(
        "--factory",
        "-f",
        metavar="NAME|ID",
        envvar="ADLSTRACE_FACTORY",
        help="Data factory name, or its full resource ID /subscriptions/.../factories/NAME.",
    ),
]
ResourceGroup = Annotated[
    str | None,
    typer.Option(
        "--resource-group",
        "-g",
        metavar="GROUP",
        envvar="ADLSTRACE_RESOURCE_GROUP",
        help="Resource group of the factory.",
    ),
]
Subscription = Annotated[
    str | None,
    typer.Option(
        "--subscription", "-s", metavar="GUID", envvar="AZURE_SUBSCRIPTION_ID", help="Subscription ID of the factory."
    ),
]
Credential = Annotated[
    str | None,
    typer.Option(
        "--credential",
        metavar="KIND",
        envvar="ADLSTRACE_CREDENTIAL",
        help="Azure credential: default, cli, environment, managed-identity, powershell, device-code.",
    ),
]
Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="Report format: text, markdown or json. Default: from --output's extension (.md, .json), else text.",
    ),
]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write the report to this file instead of stdout.")
]
SaveEvidence = Annotated[
    Path | None,
    typer.Option("--save-evidence", metavar="FILE", help="Also write every raw Azure response used to this JSON file."),
]
Evidence = Annotated[
    Path | None, typer.Option("--evidence", metavar="FILE", help="Render from a saved evidence file, with no network.")
]
Since = Annotated[
    str,
    typer.Option("--since", metavar="DURATION", help="How far back to search pipeline runs, e.g. 24h, 7d (max 45d)."),
]
Concurrency = Annotated[
    int, typer.Option("--concurrency", metavar="N", min=1, max=32, help="Azure queries in flight at once.")
]
AdlaAccount = Annotated[
    str | None,
    typer.Option("--adla-account", metavar="ACCOUNT", help="ADLA account name; skips reading the linked service."),
]
Debug = Annotated[bool, typer.Option("--debug", help="Log each Azure call and show tracebacks (scrubbed).")]
