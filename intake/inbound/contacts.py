"""A pledge's other contacts: the coordinator adds the sender of a message as one, and their
messages then count as the city's."""
from sqlalchemy import select

from ..extensions import db
from ..models import InboundMessage, PledgeContact
from ..pledges import audit


def add_contact(message, actor):
    """The sender of `message` (on a pledge) becomes one of the pledge's contacts; their other
    messages on it are no longer "from someone new". Audited; returns the contact (the one
    already there, if any). The caller commits."""
    if message.pledge_id is None or not message.from_address:
        raise ValueError("The message is on no pledge, or has no sender.")
    email = message.from_address.lower()
    contact = db.session.scalars(select(PledgeContact).where(
        PledgeContact.pledge_id == message.pledge_id, PledgeContact.email == email)).first()
    if contact is None:
        contact = PledgeContact(pledge_id=message.pledge_id, email=email,
                                name=message.from_name, added_by_id=actor.id)
        db.session.add(contact)
        audit.record(actor, "contact_added", message.pledge_id, {},
                     {"email": email, "name": message.from_name})
    for other in db.session.scalars(select(InboundMessage).where(
            InboundMessage.pledge_id == message.pledge_id,
            InboundMessage.from_address == email)):
        other.from_someone_new = False
    return contact
