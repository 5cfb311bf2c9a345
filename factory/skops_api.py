"""skops' save internals, reached only here, for a model file with the same bytes every time.

`skops.io.dumps` names objects after `id()` and stamps zip entries with the time, so the same
model gives different bytes from run to run. `factory.io.model_bytes` saves through skops'
own state walk with a save context that numbers objects in walk order instead: that needs
`SaveContext` and `get_state` from `skops.io._utils`, which are not public. They are taken
here, after checking that the installed skops is one pyproject.toml declares.
"""

from __future__ import annotations

from typing import Any

from factory.versions import require_supported

WHY = "model files are saved byte-stably through skops' SaveContext and get_state"


def save_context_class() -> type[Any]:
    """skops' `SaveContext`, to subclass."""
    require_supported("skops", WHY)
    from skops.io._utils import SaveContext

    context: type[Any] = SaveContext
    return context


def get_state(value: Any, context: Any) -> dict[str, Any]:
    """The state skops would save for `value` within `context`."""
    require_supported("skops", WHY)
    from skops.io._utils import get_state as skops_get_state

    state: dict[str, Any] = skops_get_state(value, context)
    return state
