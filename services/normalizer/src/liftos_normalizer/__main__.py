"""``python -m liftos_normalizer``: the same as ``liftos normalizer``."""

import sys

from liftos.cli import main

main(["normalizer", *sys.argv[1:]])
