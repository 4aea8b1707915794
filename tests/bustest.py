"""Helpers shared by the bus tests of both backends (imported as ``from bustest import Recorder``)."""

from __future__ import annotations

from quantdesk.bus import Message


class Recorder:
    """A handler that records what it got, and raises for the message ids it is told to refuse."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.messages: list[Message] = []
        self.refuse = refuse or set()

    def __call__(self, message: Message) -> None:
        if message.id in self.refuse:
            raise RuntimeError(f"cannot process {message.id}")
        self.messages.append(message)

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.messages]
