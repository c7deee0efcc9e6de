"""Delivery limits: retry timing, connection count and lease length.

Kept apart from the engine so that the command line can show the defaults
without importing the SMTP client.
"""

import random
from dataclasses import dataclass

# SMTP connections one engine keeps open at once.
DEFAULT_CONNECTIONS = 4

# How long a claimed message belongs to the process that claimed it.
DEFAULT_LEASE_SECONDS = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    """When a temporarily failed message is tried again, and how often."""

    max_attempts: int = 8
    # Seconds before the second attempt. Each later wait doubles, up to
    # `max_delay`, so with the defaults the seven waits between eight
    # attempts add up to about 1 to 2 hours (3,690 to 7,380 s).
    base_delay: float = 60.0
    max_delay: float = 3600.0

    def delay_after(self, attempt: int) -> float:
        """Return the seconds to wait after failed attempt number `attempt`.

        The wait is drawn from the upper half of the backoff ("equal
        jitter"), so messages that failed together do not return together.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
