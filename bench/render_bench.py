"""Median render time of each default template once it is compiled.

Renders each default template against its kind's sample data once to
compile it, then times `render_message` over many runs and prints the
median and 95th percentile per kind, in milliseconds.

    .venv/bin/python bench/render_bench.py [--runs N]
"""

import argparse
import platform
import statistics
import time

from store.defaults import DEFAULT_TEMPLATES
from store.render import render_message, sample_context


def time_kind(subject: str, text_body: str, context: dict, runs: int) -> list[float]:
    """Return the duration of each of `runs` renders, in seconds."""
    result = render_message(subject, text_body, None, context)
    if not result.ok:
        raise SystemExit(f"default template failed to render: {result.errors}")
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        render_message(subject, text_body, None, context)
        durations.append(time.perf_counter() - start)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=2000, help="renders timed per kind (default 2000)"
    )
    arguments = parser.parse_args()

    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{arguments.runs} runs per kind"
    )
    print(f"{'kind':<20} {'median ms':>10} {'p95 ms':>8}")
    for kind, template in DEFAULT_TEMPLATES.items():
        durations = time_kind(
            template.subject, template.text_body, sample_context(kind), arguments.runs
        )
        median = statistics.median(durations) * 1000
        p95 = statistics.quantiles(durations, n=20)[-1] * 1000
        print(f"{kind.value:<20} {median:>10.3f} {p95:>8.3f}")


if __name__ == "__main__":
    main()
