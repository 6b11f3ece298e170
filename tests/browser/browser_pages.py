"""What browser tests do on the way to what they test: open the overview, sign in, watch for
uncaught script errors."""

from conftest import TEST_PASSWORD

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


def create_user(app, username: str, role: str) -> str:
    result = app.test_cli_runner().invoke(
        args=["users", "create", username, "--role", role, "--password", TEST_PASSWORD])
    assert result.exit_code == 0, result.output
    return username


def sign_in(page, username: str, then: str) -> None:
    """Sign ``username`` in on the sign-in page and land on ``then``."""
    page.goto(f"{page.base_url}/auth/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form.signin-form button[type=submit]")
    page.wait_for_url(f"**{then}")
