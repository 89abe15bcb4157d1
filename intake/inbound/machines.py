"""Machines are not people: what an auto-reply (RFC 3834 and its older cousins) or a delivery
status notification (RFC 3464) looks like. Plain functions of an email.message.Message."""
import re

AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
MACHINE_PRECEDENCE = {"bulk", "auto_reply", "junk", "list"}
STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")


def machine(message):
    """What sent it: "delivery_status" (a DSN), "auto_reply" (an out-of-office, a list, an
    autoresponder), or None for a person."""
    if is_delivery_status(message):
        return "delivery_status"
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto_reply"
    if any(message.get(name) is not None for name in AUTO_REPLY_HEADERS):
        return "auto_reply"
    if str(message.get("Precedence", "")).strip().lower() in MACHINE_PRECEDENCE:
        return "auto_reply"
    return None


def is_delivery_status(message):
    return (message.get_content_type() == "multipart/report"
            and message.get_param("report-type", "").lower() == "delivery-status")


def _address(value):
    """A Final-Recipient's address: "rfc822; ana@city.example" -> ana@city.example."""
    kind, _semi, address = str(value or "").partition(";")
    address = (address if _semi else kind).strip().strip("<>").lower()
    return address if "@" in address else None


def _status(value):
    return str(value or "").strip().split(" ")[0]


def recipient_blocks(message):
    """Each per-recipient block of a DSN's message/delivery-status part, as a header mapping
    (the first block, about the message, left out)."""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, list):
            return [block for block in blocks[1:] if hasattr(block, "get")]
    return []


def permanently_failed(message):
    """The recipients a DSN says failed for good (Action failed, Status 5.x.x): theirs only.
    A delayed or temporary one (4.x.x) names nobody."""
    failed = []
    for block in recipient_blocks(message):
        status = STATUS.match(_status(block.get("Status")))
        action = str(block.get("Action", "")).strip().lower()
        address = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if action == "failed" and status and status.group(1) == "5" and address:
            failed.append((address, _status(block.get("Status"))))
    return failed
