"""The e-mail channel: stdlib smtplib, one connection per notice, UTF-8 Chinese throughout."""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses, parseaddr

from zhiqian.clock import Clock, SystemClock
from zhiqian.errors import NotifierError
from zhiqian.notifiers._types import (
    DeliveryResult,
    Notice,
    RenderedNotice,
    header_safe_key,
    key_digest,
    secret_from_env,
)

__all__ = ["SmtpNotifier"]


def _retryable_code(code: int) -> bool:
    # RFC 5321: 4yz is a transient negative reply, 5yz permanent. Anything else (-1 when
    # smtplib could not read a code) is a broken conversation: worth another try.
    return not 500 <= code <= 599


def _text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


class SmtpNotifier:
    """Sends each notice as an e-mail to ``notice.address`` (one address, or several separated by
    commas).

    - ``Message-ID`` is derived from the idempotency key (``<zq.<digest>@<sender domain>>``): a
      retry carries the same id, so a mail system or client that de-duplicates by Message-ID shows
      it once. The key itself rides along in ``X-Zhiqian-Idempotency-Key``.
    - Credentials: ``username`` and ``password`` as values (what a deployment's settings hand
      over), or the environment variables named by ``username_env`` and ``password_env``, read
      at every send (a secret rotated in the environment is used without a restart).
    - Outcomes: accepted → ok; SMTP 4xx, a refused or dropped connection, a timeout → retryable;
      SMTP 5xx, an unusable recipient address → permanent; rejected credentials, STARTTLS or AUTH
      unsupported, a missing secret variable → ``NotifierError`` (configuration).
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        use_ssl: bool = False,
        username_env: str | None = None,
        password_env: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        name: str = "smtp",
    ) -> None:
        problems = []
        if not host:
            problems.append("host is empty")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            problems.append(f"port must be 1–65535, got {port!r}")
        _, sender_addr = parseaddr(sender)
        if "@" not in sender_addr or any(ch in sender for ch in "\r\n"):
            problems.append(f"sender {sender!r} is not an e-mail address")
        if starttls and use_ssl:
            problems.append("starttls and use_ssl exclude each other")
        if (username_env is None) != (password_env is None):
            problems.append("username_env and password_env go together")
        if (username is None) != (password is None):
            problems.append("username and password go together")
        if username is not None and username_env is not None:
            problems.append("give username/password or username_env/password_env, not both")
        if timeout <= 0:
            problems.append(f"timeout must be positive, got {timeout!r}")
        if problems:
            raise NotifierError(f"notifier {name!r}: " + "; ".join(problems), retryable=False)
        self.name = name
        self.host = host
        self.port = port
        self.sender = sender
        self._envelope_sender = sender_addr
        self._domain = sender_addr.rpartition("@")[2]
        self.starttls = starttls
        self.use_ssl = use_ssl
        self.username_env = username_env
        self.password_env = password_env
        self._login = (username, password) if username is not None and password else None
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._ssl_context = ssl_context
        self._clock = clock or SystemClock()

    def message_id(self, notice: Notice) -> str:
        return f"<zq.{key_digest(notice.idempotency_key)[:40]}@{self._domain}>"

    def build_message(self, notice: Notice, rendered: RenderedNotice) -> EmailMessage:
        """The e-mail for a notice (public so a deployment can preview it)."""
        msg = EmailMessage(policy=SMTP_POLICY)
        msg["From"] = self.sender
        msg["To"] = notice.address
        msg["Subject"] = " ".join(rendered.subject.split())
        msg["Date"] = format_datetime(self._clock.now())
        msg["Message-ID"] = self.message_id(notice)
        msg["X-Zhiqian-Idempotency-Key"] = header_safe_key(notice.idempotency_key)
        msg["X-Zhiqian-Case"] = header_safe_key(notice.case_ref)
        msg.set_content(rendered.text, charset="utf-8")
        if rendered.html is not None:
            msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
        return msg

    def _recipients(self, notice: Notice) -> list[str] | None:
        if any(ch in notice.address for ch in "\r\n"):
            return None
        found = [addr for _, addr in getaddresses([notice.address]) if addr]
        if not found:
            return None
        for addr in found:
            local, at, domain = addr.rpartition("@")
            if not at or not local or "." not in domain:
                return None
            try:
                Address(addr_spec=addr)
            except (ValueError, IndexError):
                return None
        return found

    def _credentials(self) -> tuple[str, str] | None:
        if self._login is not None:
            return self._login
        if self.username_env is None or self.password_env is None:
            return None
        return (
            secret_from_env(self.username_env, channel=self.name),
            secret_from_env(self.password_env, channel=self.name),
        )

    def send(self, notice: Notice, rendered: RenderedNotice) -> DeliveryResult:
        credentials = self._credentials()  # a missing variable is a configuration error: raise
        recipients = self._recipients(notice)
        if recipients is None:
            return DeliveryResult.failed(
                f"smtp: {notice.address!r} is not a usable e-mail address", retryable=False
            )
        msg = self.build_message(notice, rendered)
        message_id = msg["Message-ID"]
        where = f"{self.host}:{self.port}"
        smtp: smtplib.SMTP | None = None
        try:
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._ssl_context or ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
            smtp.ehlo_or_helo_if_needed()
            if self.starttls:
                smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if credentials is not None:
                smtp.login(*credentials)
            refused = smtp.send_message(msg, from_addr=self._envelope_sender, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:
            if _retryable_code(exc.smtp_code):  # 454: temporary authentication failure
                return DeliveryResult.failed(
                    f"smtp {where}: {exc.smtp_code} {_text(exc.smtp_error)}", retryable=True
                )
            origin = (
                "the settings"
                if self._login is not None
                else f"{self.username_env}/{self.password_env}"
            )
            raise NotifierError(
                f"notifier {self.name!r}: {where} rejected the credentials from "
                f"{origin}: {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=False,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise NotifierError(
                f"notifier {self.name!r}: {where} does not support what the configuration asks "
                f"for (STARTTLS or AUTH): {exc}",
                retryable=False,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            detail = "; ".join(
                f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items()
            )
            return DeliveryResult.failed(
                f"smtp {where} refused the recipient(s): {detail}",
                retryable=any(_retryable_code(c) for c in codes),
            )
        except smtplib.SMTPResponseException as exc:
            # SMTPSenderRefused, SMTPDataError, SMTPConnectError, SMTPHeloError
            return DeliveryResult.failed(
                f"smtp {where}: {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=_retryable_code(exc.smtp_code),
            )
        except ssl.SSLCertVerificationError as exc:
            return DeliveryResult.failed(
                f"smtp {where}: TLS certificate not trusted: {exc.verify_message}",
                retryable=False,
            )
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnects, refused connections, timeouts, TLS hiccups: the next try may work.
            return DeliveryResult.failed(
                f"smtp {where}: {type(exc).__name__}: {exc}", retryable=True
            )
        finally:
            if smtp is not None:
                _close_quietly(smtp)
        if refused:
            # Accepted for some recipients: a retry would send the others a duplicate.
            detail = "; ".join(f"{r}: {c} {_text(t)}" for r, (c, t) in refused.items())
            return DeliveryResult.sent(
                f"accepted by {where} for {len(recipients) - len(refused)} of "
                f"{len(recipients)} recipients; refused: {detail}",
                remote_id=message_id,
            )
        return DeliveryResult.sent(f"accepted by {where}", remote_id=message_id)


def _close_quietly(smtp: smtplib.SMTP) -> None:
    # The message is accepted once DATA got its 250; a failing QUIT must not turn that into a
    # retry (and a duplicate).
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
