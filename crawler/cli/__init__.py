"""The `nok-audit` command: one module per subcommand (its parser and handler), the table in `main.py`."""
