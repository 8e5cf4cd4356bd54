"""LiftOS normalizer service: runtime shell around the liftos library."""
