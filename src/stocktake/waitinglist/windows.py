"""How much of a monthly history the projection reads: one home for the windows that both models,
their backtest and the reading of one-off months share (ADR 0019, ADR 0035)."""

#: Seasonal factors need a ratio to a centred 12-month average for every month of the year.
MIN_MONTHS = 25
LEVEL_MONTHS = 12
GROWTH_MONTHS = 36
#: Month-of-year patterns drift (the 2007–09 collapse had seasons of its own), so they are read from the
#: same latest 36 months as the growth (ADR 0035): two or three values of each month, their median.
SEASON_MONTHS = GROWTH_MONTHS
#: A horizon's interval is estimated from its own errors only with at least this many of them.
MIN_ERRORS = 3
#: Enough to fit, and to test the fit on the history at least MIN_ERRORS times.
MIN_HISTORY = MIN_MONTHS + MIN_ERRORS
