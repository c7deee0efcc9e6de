"""Sender states and the transitions a check run causes.

`default` -> `pending_dns` (custom address requested) -> `verified` (every
required record checks out) -> `active` (the DKIM self-test against the live
key passed; mail goes from the company's address). A failed re-check moves
`active` to `degraded` and `verified` back to `pending_dns`. A sender that
stays `pending_dns` or `degraded` longer than the platform's pending timeout
becomes `failed`. Cancelling returns any state to `default`.

A run whose only problems are lookup errors (timeouts, SERVFAIL) proves
nothing about the records, so it changes no state except for the timeout.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT = "default"
PENDING_DNS = "pending_dns"
VERIFIED = "verified"
ACTIVE = "active"
DEGRADED = "degraded"
FAILED = "failed"

STATES = (DEFAULT, PENDING_DNS, VERIFIED, ACTIVE, DEGRADED, FAILED)
# States that `sender watch` re-checks on its schedule.
WATCHED_STATES = (PENDING_DNS, VERIFIED, ACTIVE, DEGRADED)
# States that time out into `failed`.
TIMED_STATES = (PENDING_DNS, DEGRADED)
# States from which a passing check runs the DKIM self-test to become active.
SELF_TEST_STATES = (PENDING_DNS, VERIFIED, DEGRADED, FAILED)


@dataclass(frozen=True)
class CheckOutcome:
    """The facts a check run established about the required records."""

    all_ok: bool
    # Every required record that is not ok failed with a lookup error.
    inconclusive: bool
    # Purposes and statuses of the required records that are not ok.
    problems: tuple[tuple[str, str], ...] = ()

    def describe_problems(self) -> str:
        """Return the failing records as `dkim missing, dmarc wrong_value`."""
        return ", ".join(f"{purpose} {status}" for purpose, status in self.problems)


@dataclass(frozen=True)
class Step:
    """One state change and the reason for it."""

    to_state: str
    reason: str


def wants_self_test(state: str, outcome: CheckOutcome) -> bool:
    """Return whether this run should run the DKIM self-test."""
    return outcome.all_ok and state in SELF_TEST_STATES


def is_timed_out(
    state: str, since: datetime, now: datetime, timeout_hours: float
) -> bool:
    """Return whether a pending or degraded sender has waited too long."""
    return state in TIMED_STATES and now - since > timedelta(hours=timeout_hours)


def plan_steps(
    state: str,
    outcome: CheckOutcome,
    self_test_passed: bool | None,
    timed_out: bool,
    timeout_hours: float,
) -> list[Step]:
    """Return the state changes a check run causes, in order."""
    if outcome.all_ok:
        return _steps_when_ok(state, self_test_passed)
    if timed_out:
        return [
            Step(
                FAILED,
                f"still {state} after {timeout_hours:g} hours: "
                f"{outcome.describe_problems()}",
            )
        ]
    if outcome.inconclusive:
        return []
    return _steps_when_broken(state, outcome)


def _steps_when_ok(state: str, self_test_passed: bool | None) -> list[Step]:
    steps: list[Step] = []
    if state in (PENDING_DNS, FAILED):
        steps.append(Step(VERIFIED, "every required DNS record checks out"))
    if state in (PENDING_DNS, FAILED, VERIFIED, DEGRADED) and self_test_passed:
        reason = "the DKIM self-test against the live DNS key passed"
        if state == DEGRADED:
            reason = f"the re-check passed and {reason}"
        steps.append(Step(ACTIVE, reason))
    return steps


def _steps_when_broken(state: str, outcome: CheckOutcome) -> list[Step]:
    problems = outcome.describe_problems()
    if state == ACTIVE:
        return [Step(DEGRADED, f"a re-check failed: {problems}")]
    if state == VERIFIED:
        return [Step(PENDING_DNS, f"a re-check failed: {problems}")]
    return []
