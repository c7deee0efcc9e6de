"""Errors the store raises for a person to read.

Each carries a short title and a message that names the value and the fix;
the command line prints them on stderr and the terminal app notifies them.
"""


class MailroomError(Exception):
    """A failed operation, explained for the person who asked for it."""

    title = "Operation failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(MailroomError):
    """A tenant, template, change or message that does not exist."""

    title = "Not found"


class InvalidInput(MailroomError):
    """A value typed by a person that cannot be used as it is."""

    title = "Invalid input"


class Conflict(MailroomError):
    """A write based on a version that someone else has since replaced."""

    title = "Conflict"


class PermissionDenied(MailroomError):
    """An action the acting person may not take for this tenant."""

    title = "Not allowed"
