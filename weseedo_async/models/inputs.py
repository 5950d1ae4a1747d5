"""The types service arguments take: the documented choices as ``Literal``\\ s, and the plain-dict
spellings of the nested models as ``TypedDict``\\ s.

A nested argument takes the model or the dict, so both of these type-check::

    client.dealers.create(name="D", contact=Contact(first_name="A", last_name="B", email="a@b.c"))
    client.dealers.create(name="D", contact={"first_name": "A", "last_name": "B", "email": "a@b.c"})

The ``Literal``\\ s are also where the SDK's own validation reads the allowed values from.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from .contact import Contact, NotificationContact
from .entity import EntityRef
from .meeting import Invitee

__all__ = [
    "ContactDict",
    "ContactInput",
    "EntityRefDict",
    "EntityRefInput",
    "EntityType",
    "FontType",
    "InviteeDict",
    "InviteeInput",
    "Language",
    "Locale",
    "NotificationContactDict",
    "NotificationContactInput",
    "Product",
    "Role",
]

Locale = Literal["nl", "en"]
"""A user's locale (the two the API documents)."""
Language = Literal["nl", "en", "de", "fr", "es", "it"]
"""A contact's language."""
Role = Literal["agent", "assistant", "assistant_video", "admin", "dealer", "reseller"]
EntityType = Literal["company", "dealer", "reseller"]
FontType = Literal["Roboto", "Helvetica", "Arial"]
Product = Literal["personal", "direct"]


class _ContactRequired(TypedDict):
    first_name: str
    last_name: str
    email: str


class ContactDict(_ContactRequired, total=False):
    """A :class:`Contact` as a dict."""

    phone: str
    language: Language
    id: str


class _NotificationRequired(TypedDict):
    email: str


class NotificationContactDict(_NotificationRequired, total=False):
    """A :class:`NotificationContact` as a dict."""

    id: str


class EntityRefDict(TypedDict):
    """An :class:`EntityRef` as a dict."""

    type: EntityType
    id: str


class _InviteeRequired(TypedDict):
    name: str


class InviteeDict(_InviteeRequired, total=False):
    """An :class:`Invitee` as a dict."""

    email: str
    phone: str


ContactInput = Contact | ContactDict
NotificationContactInput = NotificationContact | NotificationContactDict
EntityRefInput = EntityRef | EntityRefDict
InviteeInput = Invitee | InviteeDict
