"""LiftOS causal_engine service: runtime shell around the liftos library."""
