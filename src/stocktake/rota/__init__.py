"""Rotas: models, contract checks and optimisation (OR-Tools CP-SAT)."""
