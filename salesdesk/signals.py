"""Caches the core keeps are forgotten the moment what they hold changes: the cached choice lists
(the filter bars' regions and people) when a region or a user is saved or their groups change.
Nothing that access depends on is cached between requests (`access.roles_of`)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from salesdesk import filters
from salesdesk.models import Region


def forget_choices(**kwargs):
    filters.forget_choices()


def connect():
    User = get_user_model()
    for model in (Region, User):
        post_save.connect(forget_choices, sender=model, dispatch_uid=f"forget-choices-save-{model.__name__}")
        post_delete.connect(forget_choices, sender=model, dispatch_uid=f"forget-choices-delete-{model.__name__}")
    m2m_changed.connect(forget_choices, sender=User.groups.through, dispatch_uid="forget-choices-groups")
