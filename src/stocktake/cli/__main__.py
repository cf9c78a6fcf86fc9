"""`python -m stocktake.cli`: the same command as `stocktake`."""

from stocktake.cli import app

if __name__ == "__main__":
    app()
