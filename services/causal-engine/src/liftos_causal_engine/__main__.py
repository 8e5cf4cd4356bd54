from liftos_causal_engine.main import run_from_env

run_from_env()
