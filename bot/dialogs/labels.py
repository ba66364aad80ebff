"""Words for the values of core's enums, marked for the catalogs and translated when shown."""

from __future__ import annotations

from bot.i18n import N_
from core.forms import AttachmentKind, Category, Danger, DocumentType, Field, Obstacle, Subject
from core.requests import Status

CATEGORY = {
    Category.DOCUMENTS: N_("📄 Documents"),
    Category.SCHOOL: N_("🏫 School"),
}

DOCUMENT_TYPE = {
    DocumentType.BIRTH_CERTIFICATE: N_("👶 Birth certificate"),
    DocumentType.PASSPORT: N_("🪪 Passport / ID card"),
    DocumentType.REGISTRATION: N_("🏠 Registration (propiska)"),
    DocumentType.OTHER: N_("📝 Another document"),
}

SUBJECT = {
    Subject.CHILD: N_("🧒 For a child"),
    Subject.SELF: N_("🙋 For me"),
}

OBSTACLE = {
    Obstacle.NO_DOCUMENTS: N_("📄 No documents"),
    Obstacle.NO_PLACE: N_("🏫 No place in a school"),
    Obstacle.COSTS: N_("💰 It costs too much"),
    Obstacle.CHILD_WORKS: N_("🧰 The child works"),
    Obstacle.OTHER: N_("❓ Something else"),
}

DANGER = {
    Danger.YES: N_("🆘 Yes, a child is in danger"),
    Danger.NO: N_("✅ No"),
}

FIELD = {
    Field.DOCUMENT_TYPE: N_("Document"),
    Field.SUBJECT: N_("For whom"),
    Field.CHILD_AGE: N_("Child's age"),
    Field.GRADE: N_("Grade"),
    Field.SETTLEMENT: N_("Settlement"),
    Field.OBSTACLE: N_("Reason"),
    Field.DESCRIPTION: N_("Your story"),
    Field.PHONE: N_("Phone"),
    # Translators: a line of the summary: the parent's answer to "Is a child in danger right now?"
    Field.DANGER: N_("A child in danger"),
}

ATTACHMENT = {
    AttachmentKind.PHOTO: N_("📷 photo"),
    AttachmentKind.DOCUMENT: N_("📎 file"),
    AttachmentKind.VOICE: N_("🎤 voice message"),
}

STATUS = {
    Status.NEW: N_("🆕 New"),
    Status.IN_PROGRESS: N_("🔧 In progress"),
    Status.WAITING_PARENT: N_("⏳ Waiting for your answer"),
    Status.RESOLVED: N_("✅ Resolved"),
    Status.WITHDRAWN: N_("↩️ Withdrawn"),
    Status.REOPENED: N_("🔁 Open again"),
}
