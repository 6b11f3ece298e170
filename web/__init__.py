"""The web layer: one blueprint per user-facing area, thin handlers over `layers/` and `parks/`.

``app.create_app`` registers every blueprint, CLI command and start-up step in one list.
"""
