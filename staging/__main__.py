"""Run the staging command line without Django: python -m staging FILE.json."""

import sys

from staging.cli import main

sys.exit(main(sys.argv[1:], sys.stdin, sys.stdout, sys.stderr))
