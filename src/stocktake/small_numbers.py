"""The small-number rule's threshold, in the lowest room so that every room can keep to it.

NHS Digital's rule for hospital statistics: counts of 1 to 7 are hidden ("*"); zero is shown. How each
output applies it lives with the output (``metrics.suppression`` for the series and the reports,
``programmes.disclosure`` for an evaluation, ``waitinglist.capacity`` for the share of long waiters
with a decision to admit); the numbers live here, once.
"""

SMALL = (1, 7)
