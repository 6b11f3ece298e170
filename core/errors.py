"""The root of every error a person can act on: a stable code, a message in Chinese and in
English that says what to do, and the HTTP status the web layer answers with.

Each package raises its own subclass (:class:`geo.errors.GeoInputError` for files and
coordinates, ledger, account, import and export errors beside it); ``web/errors.py`` renders
them all the same way, as JSON for the API and as a page otherwise.
"""


class UserError(ValueError):
    """Input or a request that cannot be served as given (never a bug: those are 500s)."""

    status = 400

    def __init__(self, zh: str, en: str, *, code: str = "bad_input", details=None):
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
        self.code = code
        self.details = details or {}

    def __reduce__(self):
        """Pickled whole (code, texts, details), so an error raised in a worker process (a dask
        worker of ``flask check-parcels``) reaches the command as the same error."""
        return _restore, (type(self), self.args, self.__dict__)

    @property
    def message_zh(self) -> str:
        return self.zh

    @property
    def message_en(self) -> str:
        return self.en

    def to_dict(self) -> dict:
        return {"error": self.code, "message_zh": self.zh, "message_en": self.en,
                **({"details": self.details} if self.details else {})}


def _restore(cls, args, state):
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
