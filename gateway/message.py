"""Raw bytes → `Reply` (placeholder: the full parser replaces this)."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy

from policies.model import Reply


def parse_message(
    raw: bytes,
    *,
    sender: str = "",
    recipients: tuple[str, ...] = (),
    team: str = "default",
    received_at: datetime | None = None,
) -> Reply:
    """Parse one message into the Reply the policies read. Never raises on bad MIME."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    body = msg.get_payload(decode=True) if not msg.is_multipart() else b""
    text = (body or b"").decode("utf-8", "replace").replace("\r\n", "\n")
    return Reply(text=text, sender=sender, recipients=recipients, team=team,
                 subject=str(msg.get("Subject", "")), replied_at=received_at,
                 message_id=msg.get("Message-ID"))
