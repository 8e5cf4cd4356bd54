from liftos_enricher.main import run_from_env

run_from_env()
