"""Themes found automatically in what people wrote, that moderators then curate.

They are called topics in the code to keep them apart from the organisers' themes (`Theme`,
chosen by residents when they contribute). A topic's label and members come from the French
text clustering (consultation/themes.py); a moderator's rename (`label_locked`) and a
moderator's move of a contribution (`Contribution.topic_pinned`) survive every rerun.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.Model):
    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="topics",
        verbose_name=_("campagne"),
    )
    label = models.CharField(_("intitulé"), max_length=120)
    label_locked = models.BooleanField(
        _("intitulé choisi par la modération"),
        default=False,
        help_text=_("Un nouveau regroupement automatique ne le change plus."),
    )
    terms = models.JSONField(_("mots caractéristiques"), default=list, blank=True)
    typical = models.JSONField(_("contributions typiques"), default=list, blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )

    class Meta:
        verbose_name = _("thème automatique")
        verbose_name_plural = _("thèmes automatiques")
        ordering = ["campaign", "position", "id"]

    def __str__(self) -> str:
        return self.label
