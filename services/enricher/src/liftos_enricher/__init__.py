"""LiftOS enricher service: runtime shell around the liftos library."""
