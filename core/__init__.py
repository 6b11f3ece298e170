"""What every package shares and nothing else: the user-facing error (:mod:`core.errors`) and
spreadsheet-safe CSV cells (:mod:`core.spreadsheet`), and the pieces both OpenAPI documents are
built from (:mod:`core.openapi`); where the shipped templates, static files and data are
(:mod:`core.shipped`)."""
