"""`python -m bench [name ...]`: run the benchmarks (all but the long ones by default), each in its
own process so that one's memory and threads do not colour another's figures. The soak (10
minutes at 1,000 events/s) runs only when named: `python -m bench soak [--minutes N]`."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

LONG = {"soak"}  # run only when named


def main(argv: list[str]) -> int:
    """Run the named benchmarks, or every module of this package."""
    here = Path(__file__).parent
    available = sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")
    )
    # Names first, then options passed on to each: `python -m bench soak --minutes 1`.
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    chosen = names or [name for name in available if name not in LONG]
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        command = [sys.executable, "-m", f"bench.{name}", *options]
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
