"""``python -m liftos_enricher``: the same as ``liftos enricher``."""

import sys

from liftos.cli import main

main(["enricher", *sys.argv[1:]])
