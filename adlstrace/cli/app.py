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
    # Plain help text: Rich panels label every flag `<bool>`, as if it took a value.
    rich_markup_mode=None,
)
# Short lines for the command list; each command's own --help shows its full description.
app.command(short_help="Report on one failed activity run.")(reports.activity)
app.command(short_help="Report on a pipeline run's failed activities.")(reports.pipeline)
app.command(short_help="Report on one ADLA job alone.")(reports.job)
app.command(short_help="Report on every failure in a time window.")(sweep.sweep)


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
