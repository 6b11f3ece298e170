"""Opening the overview in a browser test, and the page errors every such test watches for."""

#: the page's own signal that every layer is drawn
READY = "() => window.atlasReady === true"


def script_errors(page) -> list[str]:
    """The uncaught script errors of ``page`` from now on (a list that fills as they happen)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def open_map(page, lang: str = "zh", ready: str = READY) -> None:
    page.goto(f"{page.base_url}/?lang={lang}")
    page.wait_for_function(ready, timeout=15000)
