"""Stocktake: an honest stock-take of a clinical service, from its raw operational data."""

__version__ = "0.1.0"
