"""Sending one mail delivery through Django's mailers (MAILERS, from EMAIL_URL), every failure
turned into plain words for the delivery log."""

from __future__ import annotations

import smtplib
import ssl

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from tokenui.notices.webhooks import DeliveryError

NOT_SET_UP = "No mail server is set up: set EMAIL_URL (README.md, Expiry notices)."


def send(to: str, subject: str, text: str, html: str) -> None:
    """Mail `text`, with `html` as its alternative, to `to`; DeliveryError saying why not."""
    if "default" not in settings.MAILERS:
        raise DeliveryError(NOT_SET_UP)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(refused(exc)) from exc


def refused(exc: smtplib.SMTPException | OSError) -> str:
    """What went wrong with the mail server, in words (its own reply quoted when it gave one)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        (code, reply), *_ = exc.recipients.values()
        return f"The mail server refused the address: {code} {_said(reply)}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "The mail server refused TokenUI's user name and password (EMAIL_URL)."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"The mail server refused the sender {exc.sender}: {exc.smtp_code}."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server refused the mail: {exc.smtp_code} {_said(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "The mail server closed the connection."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The mail server's TLS certificate could not be verified ({exc.verify_message})."
    if isinstance(exc, TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(exc, ConnectionRefusedError):
        return "The mail server could not be reached (connection refused)."
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return f"The mail server could not be reached ({reason})."


def _said(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:200]
