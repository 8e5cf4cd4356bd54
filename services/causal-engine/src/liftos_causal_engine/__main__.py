"""``python -m liftos_causal_engine``: the same as ``liftos causal-engine``."""

import sys

from liftos.cli import main

main(["causal-engine", *sys.argv[1:]])
