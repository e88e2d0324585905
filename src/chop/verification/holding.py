"""Uploads kept across a refused submit, so a typo in the ID number does not cost the photos.

A verification form refused for one field (a mistyped ID number, a wrong code) used to drop the
photos the user had attached, and they had to pick them again. Each upload that passed its own
checks (``chop.uploads``: type from content, re-encoded, random name) is now held: its checked
bytes go to a holding folder in the file storage (local or S3, so any app server finds them) that
no URL serves, and the session remembers which
held file belongs to which field of which form. On the next submit an empty upload field takes
the held file; a newly chosen file replaces it. Held files are deleted when the form succeeds,
and any left by abandoned forms after ``MAX_AGE`` seconds.
"""

from __future__ import annotations

import datetime
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chop.uploads import UploadField, detect, random_name

MAX_AGE = 3600  # an hour to correct a form
SESSION_KEY = "chop.held_uploads"


FOLDER = "holding"


def _name(file: str) -> str:
    """The storage name of a held file: never a path from outside the folder."""
    return f"{FOLDER}/{PurePosixPath(file).name}"


def sweep(max_age: int = MAX_AGE) -> int:
    """Delete held files older than ``max_age`` seconds (abandoned forms); returns how many."""
    try:
        _, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:  # nothing held yet (local storage has no folder)
        return 0
    cutoff, gone = timezone.now() - datetime.timedelta(seconds=max_age), 0
    for file in files:
        name = _name(file)
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                gone += 1
        except FileNotFoundError:  # another request swept it first
            pass
    return gone


class Holding:
    """The held uploads of one form (``key``) in one session."""

    def __init__(self, session, key: str):
        self.session, self.key = session, key

    def _entries(self) -> dict:
        return dict(self.session.get(SESSION_KEY, {}).get(self.key, {}))

    def _save(self, entries: dict) -> None:
        everything = dict(self.session.get(SESSION_KEY, {}))
        everything[self.key] = entries
        self.session[SESSION_KEY] = everything

    def labels(self) -> dict[str, str]:
        """field → the name the user's file had, for the fields whose held file still exists."""
        return {
            f: e["label"]
            for f, e in self._entries().items()
            if default_storage.exists(_name(e["file"]))
        }

    def hold(self, field: str, checked: ContentFile, label: str) -> None:
        data = checked.read() if hasattr(checked, "read") else bytes(checked)
        ftype = detect(data[:16])
        if ftype is None:  # only what chop.uploads already accepted is ever held
            return
        sweep()
        stored = default_storage.save(_name(random_name(ftype)), ContentFile(data))
        entries = self._entries()
        if field in entries:
            default_storage.delete(_name(entries[field]["file"]))
        entries[field] = {
            "file": PurePosixPath(stored).name,
            "label": PurePosixPath(label).name[:80],
        }
        self._save(entries)

    def take(self, field: str) -> ContentFile | None:
        """The held file of ``field`` as a fresh ContentFile under a new random name."""
        entry = self._entries().get(field)
        if entry is None:
            return None
        try:
            with default_storage.open(_name(entry["file"]), "rb") as fh:
                data = fh.read()  # a checked upload, within its form's size limit
        except FileNotFoundError:
            return None
        ftype = detect(data[:16])
        if ftype is None:
            return None
        return ContentFile(data, name=random_name(ftype))

    def release(self) -> None:
        """The form succeeded: its held files are no longer needed."""
        for entry in self._entries().values():
            default_storage.delete(_name(entry["file"]))
        self._save({})


class HoldsUploads:
    """Form mixin: upload fields fall back to the held file, and valid uploads can be held.

    Pass ``holding=Holding(request.session, "<form>")``. A field with a held file is optional
    and says which file is kept; ``hold_valid_uploads()`` after a refused submit keeps the
    uploads that passed their own checks.
    """

    def __init__(self, *args, holding: Holding | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.holding = holding
        self.held = {}
        for name, label in (holding.labels() if holding is not None else {}).items():
            self._mark_held(name, label)

    def _mark_held(self, name: str, label: str) -> None:
        field = self.fields.get(name)
        if isinstance(field, UploadField):
            self.held[name] = label
            field.required = False
            field.help_text = _("Uploaded: %(name)s (you may choose another file)") % {
                "name": label
            }
            self[name].help_text = field.help_text  # a bound field copies it when first made

    def _upload_fields(self):
        return [n for n, f in self.fields.items() if isinstance(f, UploadField)]

    def clean(self):
        if self.holding is not None:
            for name in self._upload_fields():
                if (
                    name in self.held
                    and not self.cleaned_data.get(name)
                    and name not in self.errors
                ):
                    self.cleaned_data[name] = self.holding.take(name)
        return super().clean()

    def hold_valid_uploads(self) -> None:
        if self.holding is None:
            return
        for name in self._upload_fields():
            value = getattr(self, "cleaned_data", {}).get(name)
            uploaded = self.files.get(self.add_prefix(name))
            if value and uploaded is not None and name not in self.errors:
                value.seek(0)
                self.holding.hold(name, value, uploaded.name or "")
                value.seek(0)
                self._mark_held(name, self.holding.labels().get(name, ""))
