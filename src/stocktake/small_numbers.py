"""The small-number rule's threshold, in the lowest room so that every room can keep to it.

NHS Digital's rule for hospital statistics: counts of 1 to 7 are hidden ("*"); zero is shown. How each
output applies it lives with the output (``metrics.suppression`` for the series and the reports,
``programmes.disclosure`` for an evaluation, ``waitinglist.capacity`` for the share of long waiters
with a decision to admit); the numbers live here, once. So does the name of the row of a table of
groups holding those with no group recorded, which the rule hides as any group.
"""

SMALL = (1, 7)

#: The row of those with no group recorded, in every table of groups (a drill-down, `stats --by`): one
#: name, so that two outputs read as one.
NOT_RECORDED = "(not recorded)"
