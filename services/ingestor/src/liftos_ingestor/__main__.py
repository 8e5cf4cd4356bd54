"""``python -m liftos_ingestor``: the same as ``liftos ingestor``."""

import sys

from liftos.cli import main

main(["ingestor", *sys.argv[1:]])
