"""``{% load seal_studio %}``: the studio's permission question for templates (the entry to the
studio shows only for those ``orgs.permissions.can_make_seal`` allows)."""

from django import template

from chop.orgs import permissions

register = template.Library()


@register.filter
def can_make_seal(membership) -> bool:
    return permissions.can_make_seal(membership)
