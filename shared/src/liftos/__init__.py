"""LiftOS Causal: streaming ingestion and incremental-effect estimation for marketing channels."""
