"""Statistical Process Control in the style of NHS England's *Making Data Count*.

Pure functions over NumPy arrays: nothing here reads files, talks to a database or knows the web.
"""

from stocktake.spc.xmr import Improvement, Segment, XmrChart, xmr

__all__ = ["Improvement", "Segment", "XmrChart", "xmr"]
