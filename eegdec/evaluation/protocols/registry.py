"""The one registry of protocol names: ``eegdec run --protocol`` choices, recipe lookups and
config checks all read it."""

from __future__ import annotations

from eegdec.errors import UnknownNameError, suggest
from eegdec.evaluation.protocols.base import Protocol

_REGISTRY: dict[str, Protocol] = {}


def register_protocol(protocol: Protocol) -> Protocol:
    """Add ``protocol`` under ``protocol.name`` (replacing one of the same name)."""
    _REGISTRY[protocol.name] = protocol
    return protocol


def protocol_names() -> tuple[str, ...]:
    """Registered protocol names, built-in ones first."""
    return tuple(_REGISTRY)


def check_protocol(name: str) -> str:
    """Normalised protocol name; unknown names raise :class:`UnknownNameError`."""
    key = str(name).lower().replace("_", "-")
    if key not in _REGISTRY:
        names = list(_REGISTRY)
        raise UnknownNameError(
            f"Unknown protocol {name!r}.{suggest(key, names)} Choose one of {', '.join(names)}."
        )
    return key


def get_protocol(name: str) -> Protocol:
    """The registered :class:`Protocol` called ``name``."""
    return _REGISTRY[check_protocol(name)]
