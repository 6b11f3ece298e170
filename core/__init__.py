"""What every package shares and nothing else, beneath all of them:

* :mod:`core.errors` — ``UserError``, the root of every error a person can act on;
* :mod:`core.spreadsheet` — CSV cells a spreadsheet will not run as formulas;
* :mod:`core.openapi` — the pieces both OpenAPI documents are built from;
* :mod:`core.shipped` — where the shipped templates, static files and data are;
* :mod:`core.processes` — whether a process named in a journal or job file still runs.
"""
