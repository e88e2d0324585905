"""Runs every benchmark module: ``python -m bench [module ...]``."""

from __future__ import annotations

import importlib
import platform
import sys

from . import Bench

MODULES = [
    "sealart",
    "studio",
    "pdfsign",
    "contracts",
    "signing",
    "verify",
    "verifypage",
    "ledger",
    "stamp_export",
    "api",
]


def main(argv: list[str]) -> int:
    names = argv or MODULES
    from chop.pdfsign import install_fast_reader

    install_fast_reader()  # as the app and the CLI do: the figures are what they get
    bench = Bench()
    print(f"Chop benchmarks on {platform.machine()} / Python {platform.python_version()}")
    print(Bench.header())
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"-- {name}: not available ({exc})")
            continue
        module.run(bench)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
