"""LiftOS ingestor service: runtime shell around the liftos library."""
