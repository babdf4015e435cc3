"""What one resolution needs: where to look, what clock to use, how hard to try."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from adlstrace.errors import AdlstraceError
from adlstrace.ids import FactoryRef
from adlstrace.sources.base import AzureSource

logger = logging.getLogger("adlstrace.resolver")

# ADF keeps pipeline and activity run history for 45 days (ADF monitoring documentation).
ADF_RETENTION = timedelta(days=45)
DEFAULT_SINCE = timedelta(days=7)
DEFAULT_CONCURRENCY = 8


@dataclass
class ResolveContext:
    """The inputs of one resolution.

    `now` is fixed for the whole run and saved in evidence, so a replay derives the same
    query windows as the live run did.
    """

    source: AzureSource
    factory: FactoryRef
    now: datetime
    since: timedelta = DEFAULT_SINCE
    concurrency: int = DEFAULT_CONCURRENCY
    adla_account: str | None = None
    adla_dns_suffix: str | None = None
    progress: Callable[[str], None] = field(default=lambda message: None)
    max_depth: int = 5
    # When this is a list, an ADLA job lookup that fails with an HTTP or auth error is appended
    # here and the report goes on with the ADF side. The caller writes the report, then raises
    # the error. When it is None (sweeps), the error ends the failure's resolution instead.
    partial_errors: list[AdlstraceError] | None = None

    @property
    def window_start(self) -> datetime:
        return self.now - self.since
