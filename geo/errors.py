"""Errors in files, geometries and coordinates (:class:`core.errors.UserError` beneath)."""

from core.errors import UserError


class GeoInputError(UserError):
    """A file, geometry or coordinate that cannot be used as given."""


class CRSError(GeoInputError):
    """The coordinate reference system is unknown, ambiguous or unusable."""

    def __init__(self, zh: str, en: str, *, code: str = "crs", candidates=None):
        super().__init__(zh, en, code=code,
                         details={"candidates": list(candidates)} if candidates else None)
        self.candidates = list(candidates or [])
