"""The one small tree of WHM (and cPanel) failures, each with a `.message` a view can show as it is.

cPanel's failures, direct or through WHM's `uapi_cpanel`, use the same tree: `service` names who
answered ("WHM" or "cPanel") in the messages that say so.
"""

from __future__ import annotations

import re
from typing import Literal

# Completed with the service ("WHM" or "cPanel").
MAY_HAVE_RUN = "{} may still have carried out the request: reload the list before trying again."


class WhmError(Exception):
    """Any failure to get an answer from WHM, or WHM saying no."""

    # A message never holds a credential, a secret or a response body, and `args` holds only
    # the message: errors end up in logs and error trackers.

    # Set on a call that changes state and ended without a clear answer after it was sent
    # (a timeout, a dropped connection, a reply that is not an answer): WHM may have done it.
    may_have_run: bool = False

    def __init__(self, message: str, *, may_have_run: bool = False, service: str = "WHM") -> None:
        if may_have_run:
            message += " " + MAY_HAVE_RUN.format(service)
        super().__init__(message)
        self.message = message
        self.may_have_run = may_have_run


class WhmAuthError(WhmError):
    """WHM (or cPanel) refused the credentials (wrong password; unknown, revoked or expired
    token; IP; a cPanel token used where only WHM's API is)."""

    def __init__(self, message: str | None = None, *, service: str = "WHM") -> None:
        super().__init__(message or f"{service} refused these credentials.")


class WhmSessionRefused(WhmAuthError):
    """WHM refused a call made inside a session it made for `user` (`create_user_session`):
    the session's user, not the credential that asked for the session, was refused."""

    def __init__(self, user: str, message: str) -> None:
        super().__init__(message)
        self.user = user


class WhmSessionExpired(WhmSessionRefused):
    """WHM no longer takes a session it made (`create_user_session`): its sign-in link was used
    already or came too late, or the session idled out or was refused under its prefix. WHM
    did nothing with the request: make a new session and call again."""

    def __init__(self, user: str) -> None:
        super().__init__(
            user,
            f"WHM no longer accepts the session it made for {user} (it expired, was used "
            "already, or was ended); nothing was done. Make a new session to go on.",
        )


# WHM opens every reason of its token functions with this, e.g. "The system failed to create
# the API token: " (../shared/whm-api.md, Failures); what follows is the detail.
_FAILED_TO = re.compile(r"The system failed to [^:]+: (?=.)", re.DOTALL)


class WhmApiError(WhmError):
    """WHM ran the function and answered `result: 0`.

    `reason` (and `message`) is WHM's whole sentence, to show; `detail` is the part after WHM's
    "The system failed to …: " prefix (the whole reason when there is none), to match on.
    """

    def __init__(self, reason: str, *, function: str) -> None:
        # cPanel's `errors` text (UAPI `status: 0`) arrives here as `reason` too.
        super().__init__(reason)
        self.reason = reason
        self.function = function
        prefix = _FAILED_TO.match(reason)
        self.detail = reason[prefix.end() :] if prefix else reason


class WhmUnreachable(WhmError):
    """No reply: connection refused, host name not found, connection closed or reset."""


class WhmTimeout(WhmError):
    """WHM did not accept the connection, or did not answer, in time."""

    def __init__(
        self,
        message: str,
        *,
        phase: Literal["connect", "read"],
        may_have_run: bool = False,
        service: str = "WHM",
    ) -> None:
        super().__init__(message, may_have_run=may_have_run, service=service)
        self.phase = phase


class WhmTLSError(WhmError):
    """The TLS handshake failed, most often because WHM's certificate could not be verified."""


class WhmBadResponse(WhmError):
    """WHM answered, but not with a well-formed API 1 reply (5xx, HTML, bad JSON, wrong shape)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None,
        may_have_run: bool = False,
        service: str = "WHM",
    ) -> None:
        super().__init__(message, may_have_run=may_have_run, service=service)
        self.status_code = status_code
