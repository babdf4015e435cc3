"""The live source: ADF and ADLA adapters behind the one AzureSource interface."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adlstrace.ids import FactoryRef
from adlstrace.settings import Settings
from adlstrace.sources.base import Json, QueryFilter
from adlstrace.sources.live.adf import LiveAdfSource
from adlstrace.sources.live.adla import LiveAdlaSource
from adlstrace.sources.live.credentials import MsrestTokenAdapter, build_credential
from adlstrace.sources.retry import RetryPolicy, ThrottleGate


class LiveSource:
    """Answers from Azure. `credential` is any azure-identity style credential (tests inject one)."""

    def __init__(
        self,
        settings: Settings,
        credential: Any | None = None,
        gate: ThrottleGate | None = None,
    ) -> None:
        credential = credential if credential is not None else build_credential(settings.credential)
        identity = f"the identity of credential '{settings.credential}'"
        policy = RetryPolicy(
            max_attempts=settings.max_attempts, max_backoff=settings.max_backoff, gate=gate or ThrottleGate()
        )
        self._adf = LiveAdfSource(credential, settings, policy, identity)
        self._adla = LiveAdlaSource(MsrestTokenAdapter(credential, settings.adla_scope), settings, policy, identity)

    def get_pipeline_run(self, factory: FactoryRef, run_id: str) -> Json:
        return self._adf.get_pipeline_run(factory, run_id)

    def query_pipeline_runs(
        self,
        factory: FactoryRef,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        return self._adf.query_pipeline_runs(factory, after, before, filters, continuation_token)

    def query_activity_runs(
        self,
        factory: FactoryRef,
        pipeline_run_id: str,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        return self._adf.query_activity_runs(factory, pipeline_run_id, after, before, filters, continuation_token)

    def get_linked_service(self, factory: FactoryRef, name: str) -> Json:
        return self._adf.get_linked_service(factory, name)

    def get_job(self, account: str, job_id: str) -> Json:
        return self._adla.get_job(account, job_id)

    def list_jobs(self, account: str, odata_filter: str, top: int = 200) -> list[Json]:
        return self._adla.list_jobs(account, odata_filter, top)
