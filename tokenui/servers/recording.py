"""Connected servers' events in the audit trail: who acted is the WHM user whose credential
did it (the admin's at connect, TokenUI's service token after), never with a secret."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.whm.errors import WhmError


@dataclass(frozen=True, slots=True)
class Acting:
    """Who acts on a connected server: the server's name, the WHM user, and how they signed in
    ("password", or "token" with that token's name)."""

    server: str
    user: str
    kind: str
    token_name: str | None = None
    staff: trail.Staff | None = None  # the staff member who asked, from a page

    def record(
        self,
        action: Action,
        *,
        outcome: Outcome = Outcome.SUCCEEDED,
        token_names: Iterable[str] = (),
        reason: str = "",
        token_created: datetime | None = None,
    ) -> None:
        actor = trail.Actor(self.server, self.user, self.kind, self.token_name, staff=self.staff)
        # A command or a background task: no request, no client address.
        trail.record(
            None,
            action,
            outcome=outcome,
            token_names=token_names,
            reason=reason,
            actor=actor,
            token_created=token_created,
        )

    def record_error(
        self, action: Action, error: WhmError, *, changes_state: bool, token_names: Iterable[str]
    ) -> None:
        outcome = trail.outcome_of(error, changes_state=changes_state)
        self.record(action, outcome=outcome, token_names=token_names, reason=error.message)
