"""Benchmark `adlstrace sweep` against a sequential baseline, both against FakeAzure on 127.0.0.1.

    python benchmarks/sweep_benchmark.py                      # 2,000 runs, 50 ms latency, memory series
    python benchmarks/sweep_benchmark.py --runs 500 --memory-runs ""

The fake service runs in this process. The sweep and the baseline each run in a child
process (this script with --child), so their peak memory (the child's own ru_maxrss) does
not include the fake's. Both children build the credential the way tests/harness.py does: FakeCredential
replaces `adlstrace.sources.live.source.build_credential`, so no Azure identity is used.

The baseline is the obvious sequential program: one request at a time through the same
LiveSource, no cache: list the pipeline runs, read each run's activity runs, and resolve
and write each failed leaf with report_for_found.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUBSCRIPTION = "6f1c2a4e-8b3d-4e5f-9a7b-0c1d2e3f4a5b"
RESOURCE_GROUP = "rg-bench"
FACTORY = "df-bench"
ACCOUNT = "benchadla"
LINKED_SERVICE = "LS_ADLA"
PIPELINES = [f"PL_Load{index:02d}" for index in range(8)]
WINDOW_HOURS = 20


# --- the factory --------------------------------------------------------------------------


def build_scenario(runs: int, failures: int, seed: int = 7) -> Any:
    """A factory of `runs` pipeline runs holding about `failures` failed leaf activities.

    Kinds of failure, in turn: U-SQL with an ADLA job (a third of them), Copy, Web, a Copy
    iteration inside a ForEach of a succeeded run, a U-SQL failure retried once, a rerun
    group, and an Execute Pipeline parent with a failed child run.
    """
    from tests.fakeazure import (
        Scenario,
        activity_error,
        activity_run,
        adla_linked_service,
        invoked_by,
        job_related,
        pipeline_run,
        usql_error,
        usql_job,
    )

    rng = random.Random(seed)
    scenario = Scenario()
    factory = scenario.factory(SUBSCRIPTION, RESOURCE_GROUP, FACTORY)
    factory.add_linked_service(adla_linked_service(LINKED_SERVICE, ACCOUNT))
    account = scenario.adla_account(ACCOUNT)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    created = 0

    def start_time() -> datetime:
        return now - timedelta(seconds=rng.randint(600, WINDOW_HOURS * 3600))

    def add_run(name: str, status: str = "Succeeded", **kw: Any) -> dict:
        nonlocal created
        created += 1
        start = kw.pop("start", None) or start_time()
        return factory.add_pipeline_run(pipeline_run(name, status=status, run_start=start, **kw))

    def succeeded_steps(run: dict) -> None:
        factory.add_activity_run(activity_run(run, "Get metadata", "GetMetadata", status="Succeeded"))
        factory.add_activity_run(activity_run(run, "Stage", "Copy", status="Succeeded"))

    def usql_failure(run: dict, name: str = "Transform", retry: int | None = None) -> dict:
        activity = activity_run(
            run,
            name,
            linked_service_name=LINKED_SERVICE,
            retry_attempt=retry,
            error=activity_error("2703", "Error Id: E_CSC_USER_SYNTAXERROR, Error Message: syntax error.", "UserError"),
        )
        factory.add_activity_run(activity)
        account.add_job(
            usql_job(
                job_id=activity["activityRunId"],
                name=name,
                related=job_related(activity["activityRunId"]),
                errors=[usql_error("E_CSC_USER_SYNTAXERROR", "syntax error.", line_number=1)],
            )
        )
        return activity

    def plain_failure(run: dict, kind: str, code: str) -> None:
        factory.add_activity_run(
            activity_run(run, f"{kind} step", kind, error=activity_error(code, f"{kind} failed.", "UserError"))
        )

    kinds = ["usql", "copy", "usql", "web", "usql", "foreach", "usql_retry", "rerun", "execute"]
    seeded = 0
    while seeded < failures:
        kind = kinds[seeded % len(kinds)]
        name = rng.choice(PIPELINES)
        if kind == "usql":
            run = add_run(name, "Failed")
            succeeded_steps(run)
            usql_failure(run)
        elif kind == "usql_retry":
            run = add_run(name, "Failed")
            usql_failure(run, retry=None)
            usql_failure(run, retry=1)
        elif kind == "copy":
            plain_failure(add_run(name, "Failed"), "Copy", "2200")
        elif kind == "web":
            plain_failure(add_run(name, "Failed"), "WebActivity", "2108")
        elif kind == "foreach":
            run = add_run(name, "Succeeded")
            factory.add_activity_run(
                activity_run(run, "For each file", "ForEach", error=activity_error("ActivityFailed", "inner failed"))
            )
            factory.add_activity_run(
                activity_run(run, "Copy file", "Copy", iteration_hash="h1", error=activity_error("2200", "not found"))
            )
        elif kind == "rerun":
            first = add_run(name, "Failed", is_latest=False)
            usql_failure(first)
            rerun = add_run(name, "Failed", run_group_id=first["runId"])
            usql_failure(rerun)
        elif kind == "execute":
            parent = add_run("PL_Orchestrate", "Failed")
            child_start = datetime.fromisoformat(parent["runStart"][:19]).replace(tzinfo=timezone.utc)
            invoked = invoked_by(
                "Run load", "PipelineActivity", pipeline_name="PL_Orchestrate", pipeline_run_id=parent["runId"]
            )
            child = add_run(name, "Failed", start=child_start + timedelta(seconds=20), invoked=invoked)
            factory.add_activity_run(
                activity_run(
                    parent,
                    "Run load",
                    "ExecutePipeline",
                    output={"pipelineRunId": child["runId"]},
                    error=activity_error("2011", "child failed"),
                )
            )
            usql_failure(child)
        seeded += 1
    while created < runs:
        succeeded_steps(add_run(rng.choice(PIPELINES)))
    return scenario


# --- the children -------------------------------------------------------------------------


def _inject_credential() -> None:
    """Use the tests' fake credential, and allow loopback sockets only, as the test suite does."""
    from tests import conftest
    from tests.harness import FakeCredential

    conftest.pytest_configure(None)  # type: ignore[arg-type]

    credential = FakeCredential()
    import adlstrace.sources.live.source as live_source

    live_source.build_credential = lambda kind: credential


def child_sweep(out: Path, concurrency: int) -> dict[str, Any]:
    from adlstrace.cli.app import app

    argv = ["sweep", "--since", f"{WINDOW_HOURS + 1}h", "--out", str(out), "--quiet", "--concurrency", str(concurrency)]
    argv += ["--factory", FACTORY, "--resource-group", RESOURCE_GROUP, "--subscription", SUBSCRIPTION]
    started = time.perf_counter()
    try:
        app(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return {"seconds": time.perf_counter() - started, "exit_code": code}


def child_baseline(out: Path) -> dict[str, Any]:
    from adlstrace.ids import FactoryRef
    from adlstrace.output import atomic_write, render_scrubbed
    from adlstrace.render import renderer
    from adlstrace.resolver.activity_run import FoundActivity, list_pipeline_runs, read_activity_runs
    from adlstrace.resolver.context import ResolveContext
    from adlstrace.resolver.failed_leaves import failed_leaves
    from adlstrace.resolver.resolve import report_for_found
    from adlstrace.settings import load_settings
    from adlstrace.sources.live.source import LiveSource

    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    ctx = ResolveContext(LiveSource(load_settings()), FactoryRef(SUBSCRIPTION, RESOURCE_GROUP, FACTORY), now)
    render = renderer("markdown")
    reports = 0
    for run in list_pipeline_runs(ctx, now - timedelta(hours=WINDOW_HOURS + 1), now):
        activities = read_activity_runs(ctx, run)
        for leaf in failed_leaves(activities):
            report = report_for_found(ctx, FoundActivity(leaf, run, activities))
            atomic_write(out / f"{leaf['activityRunId']}.md", render_scrubbed(report, render))
            reports += 1
    return {"seconds": time.perf_counter() - started, "exit_code": 0, "reports": reports}


def run_child(fake: Any, mode: str, concurrency: int, heap: bool = False) -> dict[str, Any]:
    """Run one measured child process and return its timing, memory and the requests it sent.

    With `heap`, the child traces Python allocations and reports their peak; tracing slows it
    several times, so such a child's timing is not comparable.
    """
    env = dict(os.environ)
    env.update(
        ADLSTRACE_ARM_ENDPOINT=fake.arm_endpoint,
        ADLSTRACE_ADLA_JOB_ENDPOINT=fake.adla_endpoint_template,
        REQUESTS_CA_BUNDLE=fake.ca_bundle,
        PYTHONPATH=str(ROOT),
    )
    fake.clear_requests()
    with tempfile.TemporaryDirectory(prefix=f"adlstrace-bench-{mode}-") as out:
        command = [sys.executable, __file__, "--child", mode, "--out", out, "--concurrency", str(concurrency)]
        if heap:
            command.append("--heap")
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{mode} child failed with exit code {process.returncode}:\n{stderr[-3000:]}")
        result = json.loads(stdout.strip().splitlines()[-1])
        reports = len([name for name in os.listdir(out) if name.endswith(".md") and name != "index.md"])
    result["reports_written"] = reports
    result["requests"] = dict(fake.request_counts)
    result["requests_total"] = sum(result["requests"].values())
    result["max_rss_mb"] = result.pop("max_rss_kb") / 1024
    return result


def child_main(mode: str, out: Path, concurrency: int, heap: bool) -> None:
    import resource
    import tracemalloc

    _inject_credential()
    # Both timings start after the Azure SDKs are imported, which the sweep does lazily.
    import adlstrace.sources.live.source  # noqa: F401

    if heap:
        tracemalloc.start()
    result = child_sweep(out, concurrency) if mode == "sweep" else child_baseline(out)
    if heap:
        result["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["max_rss_kb"] = usage.ru_maxrss
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


# --- the parent ---------------------------------------------------------------------------


def measure(
    runs: int, failures: int, latency: float, concurrency: int, baseline: bool, heap: bool = False
) -> dict[str, Any]:
    from tests.fakeazure import FakeAzure

    scenario = build_scenario(runs, failures)
    with FakeAzure(scenario, latency=latency) as fake:
        results = {"runs": runs, "failures_seeded": failures, "latency_s": latency}
        results["sweep"] = run_child(fake, "sweep", concurrency)
        if baseline:
            results["baseline"] = run_child(fake, "baseline", 1)
        if heap:
            results["sweep"]["heap_peak_mb"] = run_child(fake, "sweep", concurrency, heap=True)["heap_peak_mb"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000, help="Pipeline runs in the compared factory.")
    parser.add_argument("--failures", type=int, default=300, help="Failures seeded in the compared factory.")
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds FakeAzure adds to every request.")
    parser.add_argument("--concurrency", type=int, default=8, help="Sweep --concurrency (default as the CLI).")
    parser.add_argument(
        "--memory-runs",
        default="500,2000,8000",
        help="Comma-separated factory sizes for the sweep's peak-memory series (failures = 15%% of runs).",
    )
    parser.add_argument("--memory-latency", type=float, default=0.005, help="Latency for the memory series.")
    parser.add_argument(
        "--heap",
        action="store_true",
        help="In the memory series, also run each sweep once more tracing Python allocations (slow).",
    )
    parser.add_argument("--child", choices=["sweep", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child_main(args.child, args.out, args.concurrency, args.heap)
        return

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    compared = measure(args.runs, args.failures, args.latency, args.concurrency, baseline=True)
    sweep, baseline = compared["sweep"], compared["baseline"]
    print(json.dumps(compared, indent=2))
    print(
        f"\n{args.runs} runs, {args.failures} failures, {args.latency * 1000:.0f} ms latency:\n"
        f"  sweep    (concurrency {args.concurrency}): {sweep['seconds']:7.1f} s, {sweep['requests_total']} requests, "
        f"{sweep['reports_written']} reports, peak RSS {sweep['max_rss_mb']:.0f} MB\n"
        f"  baseline (sequential):    {baseline['seconds']:7.1f} s, {baseline['requests_total']} requests, "
        f"{baseline['reports_written']} reports, peak RSS {baseline['max_rss_mb']:.0f} MB\n"
        f"  speed-up {baseline['seconds'] / sweep['seconds']:.1f}x"
    )
    for size in [int(text) for text in args.memory_runs.split(",") if text.strip()]:
        failures = size * 15 // 100
        series = measure(size, failures, args.memory_latency, args.concurrency, baseline=False, heap=args.heap)
        sweep_run = series["sweep"]
        heap_text = f", Python heap peak {sweep_run['heap_peak_mb']:.1f} MB" if args.heap else ""
        print(
            f"  memory series: {size} runs, {failures} failures: {sweep_run['seconds']:.1f} s, "
            f"{sweep_run['requests_total']} requests, {sweep_run['reports_written']} reports, "
            f"peak RSS {sweep_run['max_rss_mb']:.0f} MB{heap_text}"
        )


if __name__ == "__main__":
    main()
