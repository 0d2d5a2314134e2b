"""The back-office (Django admin), in French, for the prefecture's staff.

Who sees what: superusers see everything. Other staff (is_staff) see only the campaigns where
they hold a role, with what belongs to them (phases, themes, workshops, contributions,
comments, statements, answers); they may change them only where they are organisers.
Moderators and facilitators read. Territories (areas, communes), organisations and accounts are
reference data: superusers edit them. Another campaign's object answers 404, as if it did not
exist.

State changes that have consequences go through the actions, as everywhere else: an official
answer is written by `answer_contribution` (so author and followers are emailed), a contribution
entered here by `submit_contribution` (workshop or paper entries), and registrations are only
read here (cancelling goes through `cancel_registration`, which promotes the waiting list).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from consultation.actions import second_factor as second_factor_actions
from consultation.actions._validation import require_text
from consultation.actions.answers import answer_contribution
from consultation.actions.contributions import submit_contribution
from consultation.errors import ActionRefused
from consultation.models import (
    Area,
    Campaign,
    CampaignRole,
    Comment,
    Commune,
    Contribution,
    LiveSession,
    OfficialAnswer,
    Organisation,
    Phase,
    Registration,
    Statement,
    Theme,
    User,
    Workshop,
)
from consultation.models.contributions import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, Provenance
from consultation.models.statements import STATEMENT_MAX_LENGTH
from consultation.text import clean_html

ALL_ROLES = [
    CampaignRole.Role.ORGANISER,
    CampaignRole.Role.MODERATOR,
    CampaignRole.Role.FACILITATOR,
]


def _roles_by_campaign(user) -> dict[int, set[str]]:
    """{campaign id: roles} of the person, read once per request (kept on request.user)."""
    cached = user.__dict__.get("_admin_roles")
    if cached is None:
        cached = {}
        for campaign_id, role in CampaignRole.objects.filter(user=user).values_list(
            "campaign_id", "role"
        ):
            cached.setdefault(campaign_id, set()).add(role)
        user.__dict__["_admin_roles"] = cached
    return cached


def _campaign_ids(user, *roles: str) -> list[int]:
    wanted = set(roles or ALL_ROLES)
    return [pk for pk, held in _roles_by_campaign(user).items() if held & wanted]


def campaigns_of(user, *roles: str):
    """Campaigns where the person holds one of `roles` (any role if none given)."""
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(pk__in=_campaign_ids(user, *roles))


def _can_read(user, campaign) -> bool:
    return user.is_superuser or campaign.pk in _campaign_ids(user)


def _can_manage(user, campaign) -> bool:
    return user.is_superuser or campaign.pk in _campaign_ids(user, CampaignRole.Role.ORGANISER)


def _has_any_role(user, *roles: str) -> bool:
    if user.is_superuser:
        return True
    return user.is_active and user.is_staff and bool(_campaign_ids(user, *roles))


def _as_validation_error(check, *args, **kwargs):
    try:
        return check(*args, **kwargs)
    except ActionRefused as exc:
        raise ValidationError(exc.message) from None


class CampaignScopedAdmin(admin.ModelAdmin):
    """Rows belong to a campaign through `campaign_path`; staff see their campaigns' rows."""

    campaign_path = "campaign"

    def campaign_of(self, obj) -> Campaign:
        for name in self.campaign_path.split("__"):
            obj = getattr(obj, name)
        return obj

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        field = f"{self.campaign_path}__in" if self.campaign_path else "pk__in"
        return queryset.filter(**{field: _campaign_ids(request.user)})

    def has_module_permission(self, request):
        return _has_any_role(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return _has_any_role(request.user)
        return _can_read(request.user, self.campaign_of(obj))

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return _has_any_role(request.user, CampaignRole.Role.ORGANISER)
        return _can_manage(request.user, self.campaign_of(obj))

    def has_add_permission(self, request):
        return _has_any_role(request.user, CampaignRole.Role.ORGANISER)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def _visible_or_404(self, request, object_id):
        # Another campaign's object does not exist for this person (no redirect, no hint).
        if object_id is not None and not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404(_("Cet objet n'existe pas ou ne vous est pas accessible."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        # Bulk deletion: only rows of campaigns the person organises, whatever was ticked.
        if not request.user.is_superuser:
            field = f"{self.campaign_path}__in" if self.campaign_path else "pk__in"
            managed = _campaign_ids(request.user, CampaignRole.Role.ORGANISER)
            queryset = queryset.filter(**{field: managed})
        super().delete_queryset(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices offered to staff are limited to the campaigns they organise."""
        if not request.user.is_superuser:
            managed = campaigns_of(request.user, CampaignRole.Role.ORGANISER)
            scoped = {
                Campaign: Q(pk__in=managed),
                Theme: Q(campaign__in=managed),
                Workshop: Q(campaign__in=managed),
                Contribution: Q(campaign__in=managed),
                Comment: Q(contribution__campaign__in=managed),
            }
            condition = scoped.get(db_field.related_model)
            if condition is not None:
                kwargs["queryset"] = db_field.related_model.objects.filter(condition)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CampaignScopedInline:
    """Inline rows of a campaign: editable by its organisers, readable by its other staff."""

    def has_view_permission(self, request, obj=None):
        return obj is None or _can_read(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None or _can_manage(request.user, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


# --- Reference data ---------------------------------------------------------------------


class ReferenceAdmin(admin.ModelAdmin):
    """Shared reference data: campaign staff may look it up (and pick communes in forms);
    changing it takes the model permissions that superusers have."""

    def has_module_permission(self, request):
        return _has_any_role(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return _has_any_role(request.user) or super().has_view_permission(request, obj)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "slug", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class CommuneInline(admin.TabularInline):
    model = Commune
    extra = 0
    fields = ["insee_code", "name", "postal_code"]


@admin.register(Area)
class AreaAdmin(ReferenceAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CommuneInline]


@admin.register(Commune)
class CommuneAdmin(ReferenceAdmin):
    list_display = ["name", "insee_code", "postal_code", "area"]
    list_filter = ["area"]
    search_fields = ["name", "insee_code", "postal_code"]
    list_select_related = ["area"]


# --- Campaigns --------------------------------------------------------------------------


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "organisation",
            "title",
            "slug",
            "summary",
            "context",
            "status",
            "moderation_mode",
            "visibility",
            "starts_at",
            "ends_at",
            "areas",
        ]

    def clean_context(self):
        # Staff write simple HTML; scripts, styles and unsafe links are removed before saving.
        return clean_html(self.cleaned_data.get("context", ""))


class PhaseInline(CampaignScopedInline, admin.TabularInline):
    model = Phase
    extra = 0
    fields = [
        "position",
        "kind",
        "title",
        "starts_at",
        "ends_at",
        "allows_contributions",
        "allows_comments",
        "allows_supports",
        "allows_votes",
    ]


class ThemeInline(CampaignScopedInline, admin.TabularInline):
    model = Theme
    extra = 0
    fields = ["position", "name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class CampaignRoleInline(admin.TabularInline):
    """Who holds which role. Granting roles is kept to superusers: an organiser cannot make
    someone else (or themself) organiser of a campaign."""

    model = CampaignRole
    extra = 0
    raw_id_fields = ["user"]

    def has_view_permission(self, request, obj=None):
        return obj is None or _can_read(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(Campaign)
class CampaignAdmin(CampaignScopedAdmin):
    campaign_path = ""
    form = CampaignForm
    list_display = ["title", "organisation", "status", "moderation_mode", "starts_at", "ends_at"]
    list_filter = ["status", "moderation_mode", "visibility", "organisation"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["areas"]
    inlines = [PhaseInline, ThemeInline, CampaignRoleInline]

    def campaign_of(self, obj):
        return obj

    def has_add_permission(self, request):
        # A new campaign has no organiser yet: superusers create it and grant the roles.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --- Workshops --------------------------------------------------------------------------


class RegistrationInline(admin.TabularInline):
    """Read only: cancelling goes through the action that promotes the waiting list."""

    model = Registration
    extra = 0
    fields = ["user", "status", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return obj is None or _can_read(request.user, obj.campaign)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Workshop)
class WorkshopAdmin(CampaignScopedAdmin):
    list_display = [
        "title",
        "campaign",
        "audience",
        "commune",
        "starts_at",
        "capacity",
        "confirmed",
        "waiting",
        "registrations_open",
    ]
    list_filter = ["campaign", "audience", "registrations_open"]
    search_fields = ["title", "venue", "commune__name"]
    list_select_related = ["campaign", "commune"]
    autocomplete_fields = ["commune"]
    inlines = [RegistrationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_registration_counts()

    @admin.display(description=_("inscrit·es"), ordering="confirmed_count")
    def confirmed(self, obj):
        return obj.confirmed_count

    @admin.display(description=_("en attente"), ordering="waiting_count")
    def waiting(self, obj):
        return obj.waiting_count


@admin.register(LiveSession)
class LiveSessionAdmin(CampaignScopedAdmin):
    """Read-only: sessions are opened and run from the facilitator's console, through actions,
    so that every change is numbered and reaches the boards live."""

    campaign_path = "workshop__campaign"
    list_display = ["title", "workshop", "join_code", "status", "step", "opened_at", "closed_at"]
    list_filter = ["status", "workshop__campaign"]
    search_fields = ["title", "join_code", "workshop__title"]
    list_select_related = ["workshop__campaign"]
    readonly_fields = [f.name for f in LiveSession._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and _can_manage(request.user, self.campaign_of(obj))


# --- Contributions ----------------------------------------------------------------------


def _check_same_campaign(form, data) -> None:
    campaign = data.get("campaign")
    for name, label in [("theme", "Ce thème"), ("workshop", "Cet atelier")]:
        value = data.get(name)
        if campaign and value and value.campaign_id != campaign.pk:
            form.add_error(name, f"{label} n'appartient pas à cette campagne.")


class ContributionForm(forms.ModelForm):
    class Meta:
        model = Contribution
        fields = [
            "campaign",
            "kind",
            "title",
            "body",
            "theme",
            "commune",
            "provenance",
            "workshop",
            "author_label",
            "visibility",
        ]

    def clean_title(self):
        return _as_validation_error(
            require_text,
            self.cleaned_data.get("title"),
            field="title",
            label="Titre",
            min_length=5,
            max_length=TITLE_MAX_LENGTH,
        )

    def clean_body(self):
        return _as_validation_error(
            require_text,
            self.cleaned_data.get("body"),
            field="body",
            label="Texte",
            min_length=15,
            max_length=BODY_MAX_LENGTH,
        )

    def clean(self):
        data = super().clean()
        _check_same_campaign(self, data)
        campaign, commune = data.get("campaign"), data.get("commune")
        if campaign and commune:
            area_ids = {area.pk for area in campaign.areas.all()}
            if area_ids and commune.area_id not in area_ids:
                self.add_error(
                    "commune", "Cette commune ne fait pas partie du territoire de la campagne."
                )
        if self.instance.pk is None and data.get("provenance") == Provenance.ONLINE:
            self.add_error(
                "provenance",
                "Ici, on saisit les contributions d'atelier, papier ou importées ; les "
                "contributions en ligne sont déposées par les participant·es.",
            )
        return data


@admin.register(Contribution)
class ContributionAdmin(CampaignScopedAdmin):
    form = ContributionForm
    list_display = [
        "title",
        "kind",
        "campaign",
        "theme",
        "commune",
        "signature_display",
        "provenance",
        "visibility",
        "supports",
        "created_at",
    ]
    list_filter = ["campaign", "kind", "provenance", "visibility", "theme"]
    search_fields = ["title", "body", "author_label", "external_ref", "commune__name"]
    list_select_related = ["campaign", "theme", "commune", "author"]
    autocomplete_fields = ["commune"]
    date_hierarchy = "created_at"
    readonly_fields = ["author", "external_ref", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description=_("signature"))
    def signature_display(self, obj):
        return obj.signature

    @admin.display(description=_("soutiens"), ordering="supports_count")
    def supports(self, obj):
        return obj.supports_count

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = submit_contribution(
            request.user,
            data["campaign"],
            kind=data["kind"],
            title=data["title"],
            body=data["body"],
            theme=data.get("theme"),
            commune=data.get("commune"),
            provenance=data["provenance"],
            workshop=data.get("workshop"),
            author_label=data.get("author_label", ""),
        )
        obj.pk = created.pk
        obj.created_at = created.created_at


@admin.register(Comment)
class CommentAdmin(CampaignScopedAdmin):
    campaign_path = "contribution__campaign"
    list_display = ["excerpt", "contribution", "signature_display", "alignment", "visibility"]
    list_filter = ["contribution__campaign", "visibility", "alignment"]
    search_fields = ["body", "author_label", "contribution__title"]
    list_select_related = ["contribution", "author"]
    fields = ["contribution", "parent", "author", "author_label", "body", "alignment", "visibility"]
    readonly_fields = ["contribution", "parent", "author", "author_label", "body", "alignment"]

    def has_add_permission(self, request):
        return False  # comments are written by participants

    @admin.display(description=_("commentaire"))
    def excerpt(self, obj):
        return obj.body[:80]

    @admin.display(description=_("signature"))
    def signature_display(self, obj):
        return obj.signature


class StatementForm(forms.ModelForm):
    class Meta:
        model = Statement
        fields = ["campaign", "text", "theme", "visibility"]

    def clean_text(self):
        return _as_validation_error(
            require_text,
            self.cleaned_data.get("text"),
            field="text",
            label="Affirmation",
            min_length=10,
            max_length=STATEMENT_MAX_LENGTH,
        )

    def clean(self):
        data = super().clean()
        _check_same_campaign(self, data)
        return data


@admin.register(Statement)
class StatementAdmin(CampaignScopedAdmin):
    form = StatementForm
    list_display = ["text", "campaign", "theme", "visibility", "agree", "disagree", "passes"]
    list_filter = ["campaign", "visibility", "theme"]
    search_fields = ["text"]
    list_select_related = ["campaign", "theme"]
    readonly_fields = ["author", "external_ref"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_vote_counts()

    @admin.display(description=_("d'accord"), ordering="agree_count")
    def agree(self, obj):
        return obj.agree_count

    @admin.display(description=_("pas d'accord"), ordering="disagree_count")
    def disagree(self, obj):
        return obj.disagree_count

    @admin.display(description=_("passe"), ordering="pass_count")
    def passes(self, obj):
        return obj.pass_count


class OfficialAnswerForm(forms.ModelForm):
    class Meta:
        model = OfficialAnswer
        fields = ["contribution", "status", "body"]

    def clean_body(self):
        return _as_validation_error(
            require_text,
            self.cleaned_data.get("body"),
            field="body",
            label="Réponse",
            min_length=10,
            max_length=BODY_MAX_LENGTH,
        )


@admin.register(OfficialAnswer)
class OfficialAnswerAdmin(CampaignScopedAdmin, SimpleHistoryAdmin):
    campaign_path = "contribution__campaign"
    form = OfficialAnswerForm
    list_display = ["contribution", "status", "author", "updated_at"]
    list_filter = ["contribution__campaign", "status"]
    search_fields = ["contribution__title", "body"]
    list_select_related = ["contribution", "author"]
    raw_id_fields = ["contribution"]

    def get_readonly_fields(self, request, obj=None):
        return ["contribution"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        """Through the action: the author and followers are emailed after commit."""
        answer = answer_contribution(
            request.user, obj.contribution, status=obj.status, body=obj.body
        )
        obj.pk = answer.pk
        obj.author = answer.author
        obj.published_at = answer.published_at
        obj.updated_at = answer.updated_at


# --- Accounts ---------------------------------------------------------------------------


class AccountCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name"]


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts log in with their email; there is no username."""

    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ["email", "display_name", "is_staff", "is_superuser", "is_active", "deleted_at"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined", "deleted_at"]
    actions = ["reset_second_factor"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profil"), {"fields": ["display_name", "postal_code"]}),
        (
            _("Droits"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined", "deleted_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "display_name", "password1", "password2"],
            },
        ),
    ]

    @admin.action(description=_("Réinitialiser la double authentification"), permissions=["change"])
    def reset_second_factor(self, request, queryset):
        # Someone who lost their phone and their recovery codes: they enrol again at their next
        # staff page. Check who is asking by another channel than the account's email first.
        removed = sum(second_factor_actions.remove_devices(user) for user in queryset)
        self.message_user(
            request,
            _("Double authentification réinitialisée pour %(n)s compte(s) (%(d)s appareil(s)).")
            % {"n": queryset.count(), "d": removed},
        )
