"""Metrics: a catalogue of sourced definitions, compiled to Ibis, run to tidy monthly series (and
the small-number rule, `suppression`, that every export of them applies)."""
