"""The SMTP relay: connection settings, one reusable connection, error kinds.

Every failure is sorted into one of three kinds:

- temporary: a 4xx reply, a timeout, a refused or dropped connection. The
  message is retried later.
- permanent: a 5xx reply to the message (sender, recipient or content), or
  a relay without SMTPUTF8 for a message that needs it. The message fails.
- fatal: authentication failed, TLS failed (including an untrusted
  certificate, raised as `ssl.SSLCertVerificationError` and not as an SMTP
  error), or the relay refused the session itself. Delivery stops, since
  every other message would fail the same way.

aiosmtplib raises the same exception class for a 451 and a 550, so the reply
code decides between temporary and permanent.
"""

import logging
import socket
import ssl
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import aiosmtplib

from store.errors import InvalidInput, MailroomError
from store.settings import SmtpSettings

log = logging.getLogger(__name__)

TLS_MODES = ("starttls", "tls", "none")

# A connection idle for longer is checked with NOOP before it carries a
# message, so that a relay's idle timeout does not cost a message an attempt.
IDLE_CHECK_SECONDS = 10.0


class FailureKind(StrEnum):
    """The handling a delivery failure gets: retry, fail the message, or stop."""

    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    FATAL = "fatal"


@dataclass(frozen=True)
class Failure:
    """A failed delivery: its kind, the SMTP reply code if any, and why."""

    kind: FailureKind
    reason: str
    reply_code: int | None = None


class DeliveryStopped(MailroomError):
    """Delivery stopped because the relay cannot be used at all."""

    title = "Delivery stopped"

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


@dataclass(frozen=True)
class RelayConfig:
    """Validated settings for connecting to the relay."""

    host: str
    port: int
    tls: str
    username: str | None
    password: str | None
    timeout: float
    ca_file: str | None

    @property
    def where(self) -> str:
        """The relay as `host:port`, for messages."""
        return f"{self.host}:{self.port}"


def relay_config(smtp: SmtpSettings) -> RelayConfig:
    """Check the SMTP settings and return them as a `RelayConfig`.

    Raises `InvalidInput` naming the setting to fix.
    """
    tls = smtp.tls.strip().lower()
    if tls not in TLS_MODES:
        raise InvalidInput(
            f"invalid SMTP TLS mode {smtp.tls!r} ([smtp] tls or MAILROOM_SMTP_TLS); "
            "use starttls, tls (TLS from the first byte, usually port 465) or none"
        )
    if not 0 < smtp.port < 65536:
        raise InvalidInput(
            f"invalid SMTP port {smtp.port} ([smtp] port or MAILROOM_SMTP_PORT); "
            "use 1 to 65535"
        )
    if smtp.timeout <= 0:
        raise InvalidInput(
            f"invalid SMTP timeout {smtp.timeout} ([smtp] timeout or "
            "MAILROOM_SMTP_TIMEOUT); give a number of seconds above 0"
        )
    if smtp.ca_file and not Path(smtp.ca_file).is_file():
        raise InvalidInput(
            f"SMTP CA file {smtp.ca_file} not found ([smtp] ca_file or "
            "MAILROOM_SMTP_CA_FILE); give the PEM file of the CA that signed "
            "the relay's certificate"
        )
    if smtp.ca_file and tls == "none":
        raise InvalidInput(
            f"an SMTP CA file ({smtp.ca_file}) is set but the TLS mode is none; "
            "set [smtp] tls to starttls or tls"
        )
    if smtp.username and smtp.password is None:
        raise InvalidInput(
            f"SMTP user {smtp.username!r} has no password; set MAILROOM_SMTP_PASSWORD"
        )
    return RelayConfig(
        host=smtp.host,
        port=smtp.port,
        tls=tls,
        username=smtp.username or None,
        password=smtp.password,
        timeout=smtp.timeout,
        ca_file=smtp.ca_file or None,
    )


def tls_context(config: RelayConfig) -> ssl.SSLContext | None:
    """Build the client TLS context once for every connection, or None."""
    if config.tls == "none":
        return None
    try:
        return ssl.create_default_context(cafile=config.ca_file)
    except (ssl.SSLError, OSError) as error:
        raise InvalidInput(
            f"cannot load SMTP CA file {config.ca_file}: {error}; "
            "give a PEM file of CA certificates"
        ) from None


class RelayConnection:
    """One SMTP connection to the relay, opened on first use and kept open."""

    def __init__(self, config: RelayConfig, context: ssl.SSLContext | None) -> None:
        self.config = config
        self._context = context
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_used = 0.0

    @property
    def is_open(self) -> bool:
        """Whether the connection is open and ready for the next message."""
        return self._smtp is not None and self._smtp.is_connected

    async def send(
        self, envelope_from: str, recipients: list[str], raw: bytes, smtputf8: bool
    ) -> tuple[str, dict[str, str]]:
        """Send one message; return the reply to DATA and any refused recipients.

        Raises `DeliveryFailed` with the failure's kind.
        """
        options = ["SMTPUTF8"] if smtputf8 else []
        try:
            smtp = await self._ready()
            refused, reply = await smtp.sendmail(
                envelope_from, recipients, raw, mail_options=options
            )
        except DeliveryFailed:
            raise
        except Exception as error:
            failure = classify_error(error, self.config)
            # After a rejected command aiosmtplib has sent RSET, so the
            # connection carries on; after a timeout or a drop it is closed.
            if not self.is_open:
                self.close()
            raise DeliveryFailed(failure) from error
        finally:
            self._last_used = time.monotonic()
        return reply, {
            address: f"{response.code} {response.message}"
            for address, response in refused.items()
        }

    async def _ready(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            if time.monotonic() - self._last_used < IDLE_CHECK_SECONDS:
                return self._smtp
            try:
                await self._smtp.noop()
                return self._smtp
            except aiosmtplib.SMTPException as error:
                log.info(
                    "idle connection to SMTP relay %s is gone (%s); reconnecting",
                    self.config.where,
                    error,
                )
                self.close()
        self._smtp = await self._connect()
        return self._smtp

    async def _connect(self) -> aiosmtplib.SMTP:
        config = self.config
        smtp = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            # Set here, because aiosmtplib's default queries DNS for this
            # host's fully qualified name.
            local_hostname=socket.gethostname(),
            timeout=config.timeout,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            tls_context=self._context,
        )
        try:
            await smtp.connect()
        except aiosmtplib.SMTPException as error:
            raise DeliveryFailed(classify_connect_error(error, config)) from error
        except ssl.SSLError as error:
            raise DeliveryFailed(_tls_failure(error, config)) from error
        return smtp

    async def quit(self) -> None:
        """Send QUIT and close. A relay that is already gone is not an error."""
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.quit()
            except (aiosmtplib.SMTPException, OSError) as error:
                log.debug("QUIT to SMTP relay %s failed: %s", self.config.where, error)
        self.close()

    def close(self) -> None:
        """Drop the connection without QUIT, so the next send opens a new one."""
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None


class DeliveryFailed(Exception):
    """A failed delivery attempt, with its kind and reason in `failure`."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def classify_connect_error(error: Exception, config: RelayConfig) -> Failure:
    """Sort a failure while opening a session: connect, EHLO, STARTTLS, AUTH."""
    tls_error = _ssl_cause(error)
    if tls_error is not None:
        return _tls_failure(tls_error, config)
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return Failure(
            FailureKind.FATAL,
            f"authentication as {config.username!r} at SMTP relay {config.where} "
            f"failed: {error.code} {error.message}; check [smtp] username and "
            "MAILROOM_SMTP_PASSWORD",
            error.code,
        )
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return Failure(
            FailureKind.TEMPORARY,
            f"timed out after {config.timeout:g} s connecting to SMTP relay "
            f"{config.where}",
        )
    if isinstance(
        error, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected
    ):
        if isinstance(error, aiosmtplib.SMTPResponseException):
            return _session_refused(error, config)
        return Failure(
            FailureKind.TEMPORARY,
            f"cannot connect to SMTP relay {config.where}: {error}",
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _session_refused(error, config)
    # What remains are aiosmtplib's own checks, such as STARTTLS or AUTH not
    # offered by the relay: a setting that does not fit this relay.
    return Failure(
        FailureKind.FATAL,
        f"SMTP relay {config.where} cannot be used with these settings: {error}; "
        "check [smtp] tls, username and port",
    )


def _session_refused(
    error: aiosmtplib.SMTPResponseException, config: RelayConfig
) -> Failure:
    if 400 <= error.code < 500:
        return Failure(
            FailureKind.TEMPORARY,
            f"SMTP relay {config.where} is not accepting mail now: "
            f"{error.code} {error.message}",
            error.code,
        )
    return Failure(
        FailureKind.FATAL,
        f"SMTP relay {config.where} refused the session: {error.code} {error.message}",
        error.code,
    )


def classify_error(error: Exception, config: RelayConfig) -> Failure:
    """Sort a failure during a mail transaction into its `FailureKind`."""
    if isinstance(error, DeliveryFailed):
        return error.failure
    tls_error = _ssl_cause(error)
    if tls_error is not None:
        return _tls_failure(tls_error, config)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return _recipients_refused(error)
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return Failure(
            FailureKind.PERMANENT,
            f"SMTP relay {config.where} does not offer SMTPUTF8, which this "
            f"message needs for a non-ASCII address: {error}",
        )
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return Failure(
            FailureKind.TEMPORARY,
            f"timed out after {config.timeout:g} s waiting for SMTP relay "
            f"{config.where}",
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        stage = _stage(error)
        kind = (
            FailureKind.TEMPORARY if 400 <= error.code < 500 else FailureKind.PERMANENT
        )
        return Failure(
            kind,
            f"SMTP relay {config.where} rejected the {stage}: "
            f"{error.code} {error.message}",
            error.code,
        )
    if isinstance(error, ConnectionError | OSError | aiosmtplib.SMTPException):
        return Failure(
            FailureKind.TEMPORARY,
            f"connection to SMTP relay {config.where} lost: {error}",
        )
    if isinstance(error, ValueError):
        return Failure(FailureKind.PERMANENT, f"address not sendable: {error}")
    raise error


def _recipients_refused(error: aiosmtplib.SMTPRecipientsRefused) -> Failure:
    replies = "; ".join(
        f"{refused.recipient}: {refused.code} {refused.message}"
        for refused in error.recipients
    )
    codes = [refused.code for refused in error.recipients]
    temporary = any(400 <= code < 500 for code in codes)
    return Failure(
        FailureKind.TEMPORARY if temporary else FailureKind.PERMANENT,
        f"recipient refused: {replies}",
        codes[0] if codes else None,
    )


def _stage(error: aiosmtplib.SMTPResponseException) -> str:
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return f"envelope sender {error.sender}"
    if isinstance(error, aiosmtplib.SMTPDataError):
        return "message"
    return "command"


def _ssl_cause(error: BaseException) -> ssl.SSLError | None:
    """Return the TLS error behind `error`, which aiosmtplib may have wrapped."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _tls_failure(error: ssl.SSLError, config: RelayConfig) -> Failure:
    if isinstance(error, ssl.SSLCertVerificationError):
        where = f"the CA file {config.ca_file}" if config.ca_file else "the system CAs"
        return Failure(
            FailureKind.FATAL,
            f"the TLS certificate of SMTP relay {config.where} is not trusted: "
            f"{error.verify_message}; it must be signed by a CA in {where} and "
            f"name {config.host} ([smtp] ca_file or MAILROOM_SMTP_CA_FILE)",
        )
    return Failure(
        FailureKind.FATAL,
        f"TLS with SMTP relay {config.where} failed: {error.reason or error}; "
        "check [smtp] tls (starttls or tls) and port",
    )
