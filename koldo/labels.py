"""Words for the values of core's enums, marked for the catalogs and translated when shown."""

from __future__ import annotations

from core.booking_rules import BookingStatus
from core.forms import AttachmentKind, Category, Danger, DocumentType, Field, Obstacle, Subject
from core.requests import Status
from koldo.i18n import N_

CATEGORY = {
    # Translators: main menu button and a request's kind: help with documents.
    Category.DOCUMENTS: N_("📄 Documents"),
    # Translators: main menu button and a request's kind: help getting a child into school.
    Category.SCHOOL: N_("🏫 School"),
}

DOCUMENT_TYPE = {
    # Translators: button: which document the parent needs help with (glossary: birth certificate).
    DocumentType.BIRTH_CERTIFICATE: N_("👶 Birth certificate"),
    DocumentType.PASSPORT: N_("🪪 Passport / ID card"),
    # Translators: button: registration at the place of residence (glossary).
    DocumentType.REGISTRATION: N_("🏠 Registration (propiska)"),
    # Translators: button: which document the parent needs help with: one not listed.
    DocumentType.OTHER: N_("📝 Another document"),
}

SUBJECT = {
    # Translators: answer to "Who is the document for?"
    Subject.CHILD: N_("🧒 For a child"),
    # Translators: answer to "Who is the document for?": for the parent.
    Subject.SELF: N_("🙋 For me"),
}

OBSTACLE = {
    # Translators: answer to "What is keeping the child from school?": the child has no documents.
    Obstacle.NO_DOCUMENTS: N_("📄 No documents"),
    # Translators: answer to "What is keeping the child from school?": schools say they are full.
    Obstacle.NO_PLACE: N_("🏫 No place in a school"),
    # Translators: answer to "What is keeping the child from school?": fees, uniform or books cost
    # too much.
    Obstacle.COSTS: N_("💰 It costs too much"),
    # Translators: answer to "What is keeping the child from school?": the child works instead.
    Obstacle.CHILD_WORKS: N_("🧰 The child works"),
    # Translators: answer to "What is keeping the child from school?": another reason.
    Obstacle.OTHER: N_("❓ Something else"),
}

DANGER = {
    Danger.YES: N_("🆘 Yes, a child is in danger"),
    # Translators: answer to "Is a child in danger right now?": no.
    Danger.NO: N_("✅ No"),
}

FIELD = {
    # Translators: label in the summary (and staff card) before the parent's answer: which document.
    Field.DOCUMENT_TYPE: N_("Document"),
    # Translators: label in the summary before the answer: for whom the document is.
    Field.SUBJECT: N_("For whom"),
    # Translators: label in the summary before the child's age in years.
    Field.CHILD_AGE: N_("Child's age"),
    # Translators: label in the summary before the answer: the school grade (class) the child should
    # go to.
    Field.GRADE: N_("Grade"),
    # Translators: label in the summary before the answer: where the parent lives (glossary:
    # settlement).
    Field.SETTLEMENT: N_("Settlement"),
    # Translators: label in the summary before the answer to "What is keeping the child from
    # school?".
    Field.OBSTACLE: N_("Reason"),
    # Translators: label in the summary before what the parent wrote about what happened.
    Field.DESCRIPTION: N_("Your story"),
    # Translators: label in the summary before the parent's phone number.
    Field.PHONE: N_("Phone"),
    # Translators: a line of the summary: the parent's answer to "Is a child in danger right now?"
    Field.DANGER: N_("A child in danger"),
}

ATTACHMENT = {
    # Translators: kind of attachment, listed after a request's story.
    AttachmentKind.PHOTO: N_("📷 photo"),
    # Translators: kind of attachment, listed after a request's story.
    AttachmentKind.DOCUMENT: N_("📎 file"),
    # Translators: kind of attachment, listed after a request's story.
    AttachmentKind.VOICE: N_("🎤 voice message"),
}

STATUS = {
    # Translators: status of a request the parent sees: nobody has taken it yet.
    Status.NEW: N_("🆕 New"),
    # Translators: status of a request the parent sees: a staff member works on it.
    Status.IN_PROGRESS: N_("🔧 In progress"),
    # Translators: status of a request the parent sees: CPC waits for the parent's answer.
    Status.WAITING_PARENT: N_("⏳ Waiting for your answer"),
    # Translators: status of a request the parent sees: CPC has solved it.
    Status.RESOLVED: N_("✅ Resolved"),
    # Translators: status of a request the parent sees: the parent withdrew it (not the same as
    # cancelling a form).
    Status.WITHDRAWN: N_("↩️ Withdrawn"),
    # Translators: status of a request the parent sees: it was closed and the parent wrote again.
    Status.REOPENED: N_("🔁 Open again"),
}

VISIT_OUTCOME = {
    # Translators: after a past visit to a day centre in "My bookings": staff marked that the
    # family came.
    BookingStatus.ATTENDED: N_("✅ you came"),
    # Translators: after a past visit in "My bookings": staff marked that the family did not come.
    BookingStatus.NO_SHOW: N_("✖️ you did not come"),
    # Translators: after a past visit in "My bookings": staff have not marked it yet.
    BookingStatus.BOOKED: N_("⏳ not marked yet"),
    # Translators: after a past visit in "My bookings": it was cancelled.
    BookingStatus.CANCELLED: N_("↩️ cancelled"),
}
