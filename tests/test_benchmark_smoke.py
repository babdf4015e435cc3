"""The sweep benchmark still runs, and on a small factory its sweep finds every seeded failure.

Timing is not checked here; the figures live in docs/benchmarks.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "sweep_benchmark.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sweep_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_small_factory() -> None:
    benchmark = load_benchmark()

    results = benchmark.measure(runs=60, failures=18, latency=0.0, concurrency=4, baseline=True)

    sweep, baseline = results["sweep"], results["baseline"]
    assert sweep["exit_code"] == 0
    assert sweep["reports_written"] == 18
    assert baseline["reports_written"] >= 18
    assert sweep["requests_total"] <= baseline["requests_total"]
    assert sweep["requests"]["get_linked_service"] == 1
