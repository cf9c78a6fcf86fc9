"""Reports: the stock-take as a self-contained HTML file, and the machine-readable summary."""
