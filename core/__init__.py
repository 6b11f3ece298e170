"""What every package shares and nothing else: the user-facing error (:mod:`core.errors`)."""
