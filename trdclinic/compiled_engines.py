"""The staging engines compiled with mypyc, used only while the build matches the sources.

`staging/` is fully typed Python (mypy --strict), so mypyc compiles it to C extensions that run
the same code about two and a half times faster (the staging throughput target of issue 9).
`make` builds them into .engines/ (`compiled_engines.main()`), beside the sources
rather than over them: `activate()` puts that build first on sys.path only when its recorded hash
of the sources equals the current one, so an edited engine is never shadowed by a stale build.
TRDCLINIC_PURE_ENGINES=1 keeps the interpreted engines (the coverage run of `make check`).
No Django here: manage.py, the WSGI module, the tests and the benchmark call it first.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "staging"
BUILD = ROOT / ".engines"
STAMP_NAME = "source-hash"
PURE_VARIABLE = "TRDCLINIC_PURE_ENGINES"
# Start-up bound, not hot: the command line and the benchmark's generator stay interpreted.
INTERPRETED = frozenset({"__main__.py", "cli.py", "bench.py"})


def source_hash(source: Path = SOURCE) -> str:
    """Return a hash of the engine sources and the interpreter they are compiled for."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(source.iterdir()):
        if path.suffix in {".py", ".json", ".toml"}:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def compiled_build(build: Path = BUILD, source: Path = SOURCE) -> Path | None:
    """Return the build folder when it was compiled from the current sources, else None."""
    stamp = build / STAMP_NAME
    if not stamp.is_file() or stamp.read_text().strip() != source_hash(source):
        return None
    return build


def activate() -> bool:
    """Put the compiled engines first on sys.path when they are current; return whether."""
    if os.environ.get(PURE_VARIABLE) == "1":
        return False
    build = compiled_build()
    if build is None or "staging" in sys.modules:
        return False
    if str(build) not in sys.path:
        sys.path.insert(0, str(build))
    return True


def build(target: Path = BUILD, source: Path = SOURCE) -> None:
    """Compile a copy of the sources with mypyc and replace the build with it."""
    scratch = target.with_name(target.name + ".new")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(source, scratch / "staging", ignore=shutil.ignore_patterns("__pycache__"))
    modules = sorted(
        f"staging/{path.name}"
        for path in (scratch / "staging").glob("*.py")
        if path.name not in INTERPRETED
    )
    # Its own strict configuration: mypy would otherwise find the project's, with Django's plugin.
    config = scratch / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")
    subprocess.run(  # noqa: S603 (our own interpreter and file names)
        [sys.executable, "-m", "mypyc", f"--config-file={config}", *modules],
        cwd=scratch,
        check=True,
    )
    shutil.rmtree(scratch / "build")
    (scratch / STAMP_NAME).write_text(source_hash(source) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)


def main() -> None:
    """Build the compiled engines unless the current build matches the sources (make does this)."""
    if compiled_build() is None:
        build()
    print(f"compiled engines: {BUILD}")
