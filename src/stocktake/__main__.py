"""`python -m stocktake`: the same command as `stocktake`."""

from stocktake.cli import app

if __name__ == "__main__":
    app(prog_name="stocktake")
