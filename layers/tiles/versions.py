"""Which of two layer versions is newer (the shared PostGIS store serves the newest)."""


def is_newer(version: str, than: str | None) -> bool:
    """Imported versions are named by time and outrank the shipped ``default-…`` ones."""
    def key(v: str) -> tuple[int, str]:
        return (0, "") if v.startswith("default-") else (1, v)
    return than is None or key(version) > key(than)
