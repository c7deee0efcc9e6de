"""Delivery: composing document email, the outbox, and sending it over SMTP.

- `compose`: builds and checks the message, and DKIM-signs it with `signing`.
- `outbox`: stores messages and moves them between states.
- `engine`: delivers due messages over reused SMTP connections (`relay`).
- `service`: what the command line and the terminal app call.

This module imports no submodule itself, because `store.models` imports
`store.delivery.tables`, and the SMTP client and DKIM code would slow every
start-up.
"""

import logging

# The engine logs starts, stops, retries and failures under this name. Until
# a program adds a handler (`mailroom outbox run` does), nothing is printed,
# so that log lines never land on the terminal app's screen.
logging.getLogger(__name__).addHandler(logging.NullHandler())
