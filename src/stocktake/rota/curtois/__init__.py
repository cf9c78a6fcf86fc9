"""The Curtois Employee Shift Scheduling Benchmark: reader and scorer, and its solver.

Unrelated to NHS rotas (ADR 6): ``instance`` reads instances and rosters and scores them
independently of the solver; ``solver`` combines column generation (``columns`` over
``pricing``) with CP-SAT (``model``).
"""
