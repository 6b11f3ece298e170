"""Whether a process of this machine still runs (for journals and job files naming a pid)."""

import os


def is_alive(pid) -> bool:
    """True while process ``pid`` exists (also when it belongs to another user)."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
