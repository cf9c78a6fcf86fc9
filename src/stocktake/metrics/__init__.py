"""Metrics: a catalogue of sourced definitions, compiled to Ibis, run to tidy monthly series."""
