"""Refresh requirements.lock: the whole dependency set, pinned, as a pip constraints file.

Builds a clean virtual environment in a temporary folder, installs the kit from pyproject.toml
with every extra (the newest versions its ranges allow), and writes `pip freeze` of it, without
rekit itself, to requirements.lock with a header naming the Python and the date. `make env`
installs with ``pip install -c requirements.lock -e '.[dev]'``, so a fresh clone gets the versions
the tests passed with; `make lock` runs this script. Run it when pyproject.toml's dependencies
change, or to move to newer versions on purpose (then run the tests and commit the lock with them).

    python tools/lock.py [--python PYTHON] [--output requirements.lock]
    python tools/lock.py --from-env .venv/bin/python   # pin what an environment already has

``--from-env`` freezes an existing environment instead (the one the tests just passed in), after
checking that it has every dependency of pyproject.toml and its extras.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """# The whole dependency set the tests passed with, as a pip constraints file: `make env` installs
# with `pip install -c requirements.lock -e '.[dev]'`. Written by `make lock` (tools/lock.py) from
# `pip freeze` of {how} with the extras ({extras});
# pyproject.toml keeps compatible ranges. Do not edit by hand: change pyproject.toml and run `make lock`.
# Python {python}, {date}.
"""


def freeze(python: str) -> tuple[str, str]:
    """`pip freeze` of `python`'s environment without rekit, and its Python version."""
    frozen = subprocess.run([python, "-m", "pip", "freeze", "--exclude", "rekit"], check=True, capture_output=True,
                            text=True).stdout
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"], check=True,
                             capture_output=True, text=True).stdout.strip()
    return frozen, version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the Python to build the environment with")
    parser.add_argument("--output", default=str(ROOT / "requirements.lock"), help="the file to write")
    parser.add_argument("--from-env", metavar="PYTHON", help="freeze this environment's Python instead of a clean one")
    args = parser.parse_args(argv)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = sorted(project.get("optional-dependencies", {}))
    if args.from_env:
        frozen, version = freeze(args.from_env)
        wanted = list(project["dependencies"]) + [d for e in extras for d in project["optional-dependencies"][e]]
        names = {line.split("==")[0].lower().replace("_", "-") for line in frozen.splitlines() if "==" in line}
        missing = [d for d in wanted if re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-") not in names]
        if missing:
            print(f"lock: {args.from_env} lacks {', '.join(missing)}: install them or build a clean lock", file=sys.stderr)
            return 1
        how = f"the environment of {args.from_env}"
    else:
        with tempfile.TemporaryDirectory(prefix="rekit-lock-") as tmp:
            venv = Path(tmp) / "venv"
            subprocess.run([args.python, "-m", "venv", str(venv)], check=True)
            py = str(venv / "bin" / "python")
            subprocess.run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
            subprocess.run([py, "-m", "pip", "install", "--quiet", f"{ROOT}[{','.join(extras)}]"], check=True)
            frozen, version = freeze(py)
        how = "a clean environment built from pyproject.toml"
    pins = sorted((line for line in frozen.splitlines() if line and not line.startswith("#")), key=str.lower)
    bad = [p for p in pins if "==" not in p]
    if bad:
        print(f"lock: not a pinned release, refused: {', '.join(bad)}", file=sys.stderr)
        return 1
    text = HEADER.format(how=how, extras=", ".join(extras), python=version, date=datetime.date.today().isoformat()) + "\n".join(pins) + "\n"
    Path(args.output).write_text(text)
    print(f"lock: {len(pins)} packages pinned in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
