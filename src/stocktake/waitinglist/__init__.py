"""The waiting list: queueing statistics (NHSRwaitinglist parity) and a stock-and-flow projection.

Pure functions over arrays and tables; nothing here reads a file or the warehouse.
"""
