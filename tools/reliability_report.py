"""Run the reliability and security suites and write their scenario table into docs/reliability.md.

    uv run python tools/reliability_report.py [--postgres URL]

One row per scenario (a test function; its docstring's first line names it), counting the cases it
tried (parametrisations), how many passed, and how many of the passed ones checked that nothing was
lost or duplicated (tests marked `no_loss`). Property tests also count their generated examples.
The numbers come from this run only; the section is replaced, the rest of the document is kept.
"""

import argparse
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.perfdoc import write_section  # noqa: E402

DOC = ROOT / "docs" / "reliability.md"
SUITES = {
    "tests/reliability": "Faults",
    "tests/security": "Hostile input and security",
    "tests/fuzz": "Client parsers (fuzz)",
}
# The frozen bundle's secrets scan lives with the packaging test, which builds the bundle.
EXTRA_NODES = (
    "tests/packaging/test_bundle.py::test_the_bundle_holds_no_secret_and_the_frozen_app_writes_none_into_it",
)
_EXAMPLES = re.compile(r"(\d+) passing(?: examples)?,")


@dataclass
class Scenario:
    suite: str
    module: str
    name: str
    title: str
    tried: int = 0
    passed: int = 0
    no_loss: int = 0
    examples: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


class Collector:
    """A pytest plugin that keeps one Scenario per test function."""

    def __init__(self) -> None:
        self.scenarios: dict[tuple[str, str], Scenario] = {}
        self._no_loss: set[str] = set()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if item.get_closest_marker("no_loss") is not None:
                self._no_loss.add(item.nodeid)
            self._scenario(item)

    def _scenario(self, item: pytest.Item) -> Scenario:
        module = item.nodeid.split("::")[0]
        function = getattr(item, "originalname", item.name)
        key = (module, function)
        if key not in self.scenarios:
            doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
            title = (
                doc.splitlines()[0].rstrip(".") if doc else function.removeprefix("test_").replace("_", " ")
            )
            suite = next(
                (name for path, name in SUITES.items() if module.startswith(path)), SUITES["tests/security"]
            )
            self.scenarios[key] = Scenario(suite, module, function, title)
        return self.scenarios[key]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        module, _, rest = report.nodeid.partition("::")
        function = rest.split("::")[-1].split("[")[0]
        scenario = self.scenarios.get((module, function))
        if scenario is None:
            return
        # Hypothesis attaches its statistics to the teardown report.
        stats = report.__dict__.get("_hypothesis_stats") or ""
        scenario.examples += sum(int(found) for found in _EXAMPLES.findall(stats))
        if report.when == "call" or (report.when == "setup" and not report.passed):
            scenario.tried += 1
            scenario.seconds += report.duration
            # Suites that draw requests in their own loop (the schema fuzz) report how many they sent.
            scenario.examples += sum(
                int(value) for name, value in report.user_properties if name == "cases_sent"
            )
            if report.passed:
                scenario.passed += 1
                if report.nodeid in self._no_loss:
                    scenario.no_loss += 1
            elif report.skipped:
                scenario.tried -= 1  # a skip is not a try; the run reports it
            else:
                scenario.failures.append(report.nodeid)


def _rows(scenarios: list[Scenario]) -> Iterator[str]:
    for scenario in scenarios:
        tried = f"{scenario.tried}"
        if scenario.examples:
            tried += f" ({scenario.examples:,} examples)"
        no_loss = f"{scenario.no_loss}" if scenario.no_loss or scenario.tried == 0 else "-"
        yield (
            f"| {scenario.suite} | {scenario.title} | `{Path(scenario.module).name}` | {tried} | "
            f"{scenario.passed} | {no_loss} |"
        )


def report_body(scenarios: list[Scenario], seconds: float, command: str) -> str:
    areas = list(SUITES.values())
    ordered = sorted(scenarios, key=lambda s: (areas.index(s.suite), s.module))
    run = [s for s in ordered if s.tried]
    tried = sum(s.tried for s in run)
    passed = sum(s.passed for s in run)
    no_loss = sum(s.no_loss for s in run)
    examples = sum(s.examples for s in run)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores), one run of "
        f"`{command}` ({seconds:.0f} s). Cases are test cases (a parametrised scenario counts each "
        "parameter); property tests also give the examples Hypothesis generated. *Nothing lost* counts "
        "the passed cases that checked that nothing was lost or duplicated (service rows by idempotency "
        "key, acknowledgements delivered, audit chain intact); `-` where the scenario is not about loss.",
        "",
        "| area | scenario | test module | cases tried | passed | nothing lost |",
        "|---|---|---|---:|---:|---:|",
        *_rows(run),
        f"| **all** | **{len(run)} scenarios** | | **{tried}** ({examples:,} examples) | **{passed}** | "
        f"**{no_loss}** |",
    ]
    failed = [node for s in run for node in s.failures]
    if failed:
        lines += ["", "Failed in this run:", "", *(f"- `{node}`" for node in failed)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-packaging", action="store_true", help="skip the frozen bundle (slow) tests")
    parser.add_argument("--dry-run", action="store_true", help="print the table instead of writing it")
    parser.add_argument("paths", nargs="*", help="only these test paths (implies --dry-run)")
    options = parser.parse_args(argv)
    paths = options.paths or [path for path in SUITES if (ROOT / path).exists()]
    if not options.no_packaging and not options.paths:
        paths += list(EXTRA_NODES)
    arguments = [*paths, "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics"]
    collector = Collector()
    started = time.monotonic()
    exit_code = pytest.main(arguments, plugins=[collector])
    seconds = time.monotonic() - started
    command = "uv run pytest " + " ".join(paths)
    body = report_body(list(collector.scenarios.values()), seconds, command)
    print(body)
    if not (options.dry_run or options.paths):
        write_section("Scenario summary", body, "reliability", DOC)
    written = "not written" if options.dry_run or options.paths else f"written to {DOC.relative_to(ROOT)}"
    scenarios = len(collector.scenarios)
    print(f"reliability report: {scenarios} scenarios, exit {exit_code}, {seconds:.0f} s, {written}")
    return int(exit_code)


if __name__ == "__main__":
    raise SystemExit(main())
