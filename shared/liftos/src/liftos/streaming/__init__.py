"""Kafka plumbing: codec, producer/consumer helpers, dead letters, and the local Tansu broker."""
