"""Wrongly shaped requests, signed as the platforms sign them, at a running Pepptalk: what came
back and how many tracebacks the log got, per 10,000 (seeded: the same requests every run).

    .venv/bin/python -m bench.fuzz [--requests 10000] [--seed 20261123]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time

from tests.bot.fuzzing import Tally, fuzz_slack, fuzz_teams


def show(name: str, tally: Tally, count: int, seconds: float) -> None:
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    per = 10_000 / count
    print(
        f"{name:6} {count} requests in {seconds:.1f} s; answers {statuses}; "
        f"5xx {tally.server_errors}; tracebacks {tally.tracebacks} "
        f"({tally.tracebacks * per:.0f} per 10,000); log {tally.log_bytes / 1024:.0f} KiB"
    )
    for example in tally.examples:
        print(f"       e.g. {example}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    # Every record reaches the counting handler; nothing is printed.
    logging.getLogger().setLevel(logging.INFO)
    for name, fuzz in (("slack", fuzz_slack), ("teams", fuzz_teams)):
        started = time.perf_counter()
        tally = await fuzz(args.requests, seed=args.seed)
        show(name, tally, args.requests, time.perf_counter() - started)


if __name__ == "__main__":
    asyncio.run(main())
