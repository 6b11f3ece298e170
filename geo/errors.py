"""Errors raised for input a person can fix, with a message in Chinese and English."""


class GeoInputError(ValueError):
    """Input that cannot be used as given.

    ``zh`` and ``en`` are shown to the clerk as they are, so they must say what to do,
    not only what went wrong. ``code`` is a stable machine-readable key for tests and APIs.
    """

    status = 400

    def __init__(self, zh: str, en: str, *, code: str = "bad_input", details=None):
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
        self.code = code
        self.details = details or {}

    def to_dict(self) -> dict:
        return {"error": self.code, "message_zh": self.zh, "message_en": self.en,
                **({"details": self.details} if self.details else {})}


class CRSError(GeoInputError):
    """The coordinate reference system is unknown, ambiguous or unusable."""

    def __init__(self, zh: str, en: str, *, code: str = "crs", candidates=None):
        super().__init__(zh, en, code=code,
                         details={"candidates": list(candidates)} if candidates else None)
        self.candidates = list(candidates or [])
