"""The commands' own files: an analyst's table read and checked cell by cell (SPC, funnel plots,
procurement orders, the waiting list, RTT returns, programme surveys) and the results written whole
or not at all. Ingest reads the department's extracts into the warehouse; these are read directly.
"""
