from liftos_ingestor.main import run_from_env

run_from_env()
