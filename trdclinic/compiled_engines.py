"""The staging engines compiled with mypyc, used only while the build matches the sources.

`staging/` is fully typed Python (mypy --strict), so mypyc compiles it to C extensions that run
the same code about two and a half times faster (the staging throughput target of issue 9).
The checklist's pure modules restage runs for every trial (`pseudoresistance/status.py` and
`derived.py`: no Django) are compiled with them (issue 18). `make` builds them into .engines/
(`compiled_engines.main()`), beside the sources rather than over them: `activate()` puts that
build first on sys.path (and first on the `pseudoresistance` package's path) only when its
recorded hash of the sources equals the current one, so an edited module is never shadowed by a
stale build.
TRDCLINIC_PURE_ENGINES=1 keeps the interpreted engines (the coverage run of `make check`).
No Django here: manage.py, the WSGI module, the tests and the benchmark call it first.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "staging"
BUILD = ROOT / ".engines"
# The checklist modules compiled beside the engines, and the one they read (copied for mypyc's
# type checks, used from the sources): a Django app's package, so only these files are built.
CHECKLIST = ROOT / "pseudoresistance"
CHECKLIST_PACKAGE = "pseudoresistance"
CHECKLIST_COMPILED = ("status.py", "derived.py")
CHECKLIST_READ = ("__init__.py", "checklist_data.py")
STAMP_NAME = "source-hash"
PURE_VARIABLE = "TRDCLINIC_PURE_ENGINES"
# Start-up bound, not hot: the command line and the benchmark's generator stay interpreted.
INTERPRETED = frozenset({"__main__.py", "cli.py", "bench.py"})


def source_hash(source: Path = SOURCE, checklist: Path = CHECKLIST) -> str:
    """Return a hash of the compiled sources and the interpreter they are compiled for."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(source.iterdir()):
        if path.suffix in {".py", ".json", ".toml"}:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for name in (*CHECKLIST_COMPILED, *CHECKLIST_READ):
        digest.update(f"{CHECKLIST_PACKAGE}/{name}".encode())
        digest.update((checklist / name).read_bytes())
    return digest.hexdigest()


def compiled_build(
    build: Path = BUILD, source: Path = SOURCE, checklist: Path = CHECKLIST
) -> Path | None:
    """Return the build folder when it was compiled from the current sources, else None."""
    stamp = build / STAMP_NAME
    if not stamp.is_file() or stamp.read_text().strip() != source_hash(source, checklist):
        return None
    return build


def activate() -> bool:
    """Put the compiled modules first on their import paths when they are current; return whether.

    The engines come first on sys.path; the checklist modules first on the path of the
    `pseudoresistance` package, whose other modules (a Django app) stay the sources'.
    """
    if os.environ.get(PURE_VARIABLE) == "1":
        return False
    build = compiled_build()
    compiled = [f"{CHECKLIST_PACKAGE}.{Path(name).stem}" for name in CHECKLIST_COMPILED]
    if build is None or any(name in sys.modules for name in ("staging", *compiled)):
        return False
    if str(build) not in sys.path:
        sys.path.insert(0, str(build))
    package = importlib.import_module(CHECKLIST_PACKAGE)
    if str(build / CHECKLIST_PACKAGE) not in package.__path__:
        package.__path__.insert(0, str(build / CHECKLIST_PACKAGE))
    return True


def build(target: Path = BUILD, source: Path = SOURCE, checklist: Path = CHECKLIST) -> None:
    """Compile a copy of the sources with mypyc and replace the build with it."""
    scratch = target.with_name(target.name + ".new")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(source, scratch / "staging", ignore=shutil.ignore_patterns("__pycache__"))
    package = scratch / CHECKLIST_PACKAGE
    package.mkdir()
    for name in (*CHECKLIST_COMPILED, *CHECKLIST_READ):
        shutil.copy2(checklist / name, package / name)
    modules = sorted(
        f"staging/{path.name}"
        for path in (scratch / "staging").glob("*.py")
        if path.name not in INTERPRETED
    ) + [f"{CHECKLIST_PACKAGE}/{name}" for name in CHECKLIST_COMPILED]
    # Its own strict configuration: mypy would otherwise find the project's, with Django's plugin.
    config = scratch / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")
    subprocess.run(  # noqa: S603 (our own interpreter and file names)
        [sys.executable, "-m", "mypyc", f"--config-file={config}", *modules],
        cwd=scratch,
        check=True,
    )
    shutil.rmtree(scratch / "build")
    # Only the compiled checklist modules stay: with its `__init__.py` the copy would shadow the
    # app's package, and every other module of it is imported from the sources.
    for path in package.glob("*.py"):
        path.unlink()
    (scratch / STAMP_NAME).write_text(source_hash(source, checklist) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)


def main() -> None:
    """Build the compiled engines unless the current build matches the sources (make does this)."""
    if compiled_build() is None:
        build()
    print(f"compiled engines: {BUILD}")
