"""Consultant job plans: the PA arithmetic of the 2003 consultant contract (England), premium time,
the on-call availability supplement from the rota actually built, the team's capacity and the review
queue. The arithmetic (``arithmetic``, ``supplement``, ``team``, ``review``) knows no files; ``read``
reads plans and ``tables`` writes what the commands show; ``store`` keeps plans and their states in the
home for the workspace, ``designs`` measures them against kept rotas and ``capacity`` writes the team's
capacity to the warehouse."""
