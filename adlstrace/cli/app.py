"""The adlstrace command line. Commands import the Azure SDKs only when they call Azure."""

from __future__ import annotations

import typer

from adlstrace import __version__
from adlstrace.cli import reports, sweep

app = typer.Typer(
    name="adlstrace",
    help="Trace a failed Azure Data Factory activity to its Data Lake Analytics job and write a support-ready report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(reports.activity)
app.command()(reports.pipeline)
app.command()(reports.job)
app.command()(sweep.sweep)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"adlstrace {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Trace a failed ADF activity to its ADLA job and write a support-ready report."""


def main() -> None:
    app()
