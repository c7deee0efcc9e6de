"""Base classes of Mailroom's screens and modals: typed app, worker failures."""

from __future__ import annotations

from typing import TypeVar

from textual import getters
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from tui.app import MailroomApp

ResultType = TypeVar("ResultType")


class MailroomScreen(Screen[ResultType]):
    """A full screen whose failed workers are reported by the app."""

    app = getters.app(MailroomApp)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.report_worker_error(event.worker)


class MailroomModal(ModalScreen[ResultType]):
    """A modal whose failed workers are reported by the app."""

    app = getters.app(MailroomApp)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.report_worker_error(event.worker)
