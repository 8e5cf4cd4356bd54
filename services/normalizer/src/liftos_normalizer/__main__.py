from liftos_normalizer.main import run_from_env

run_from_env()
