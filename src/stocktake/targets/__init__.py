"""Targets: where a measure started, where the benchmark is, the level aimed for, and when it is due.

Pure functions over arrays and dates: nothing here reads files or knows the report.
"""
