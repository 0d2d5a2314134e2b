"""Account forms. They check what the page needs (fields present, passwords equal, consent);
the rules on emails, names and passwords live in consultation.actions.accounts."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from consultation.errors import ActionRefused
from consultation.identity import throttle

PASSWORD_HELP = _(
    "10 caractères au moins, pas uniquement des chiffres, ni trop courant, ni trop proche "
    "de votre nom ou de votre adresse."
)


class AccessibleFormMixin:
    """DSFR classes on widgets, and each error tied to its field (RGAA 11.10, 11.11):
    the input gets aria-invalid and aria-describedby pointing at its error message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                continue
            field.widget.attrs["class"] = "fr-input"
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}_helptext"

    def full_clean(self):
        super().full_clean()
        self.mark_errors()

    def add_error(self, field, error):
        super().add_error(field, error)
        self.mark_errors()

    def mark_errors(self):
        for name, field in self.fields.items():
            if name not in self.errors:
                continue
            auto_id = self[name].auto_id
            described_by = [f"{auto_id}-erreurs"]
            if field.help_text:
                described_by.insert(0, f"{auto_id}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(described_by)
            field.widget.attrs["aria-invalid"] = "true"
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "fr-input fr-input--error"

    def refuse(self, exc: ActionRefused, field_names: dict | None = None) -> None:
        """Show an action's refusal on the field it names, or above the form; every field it
        refused when it names several (a field the form already refused keeps its own error
        alone: the person fixes one thing at a time there)."""
        errors = exc.field_errors or {exc.field: [exc.message]}
        for action_field, messages in errors.items():
            # `field_names` may map None (a refusal naming no field) to a field of the form.
            field = (field_names or {}).get(action_field or None, action_field)
            if field not in self.fields:
                field = None
            elif exc.field_errors and field in self.errors:
                continue
            for message in messages:
                self.add_error(field, message)

    def action_input(self, field_names: dict | None = None) -> dict:
        """What the person typed, for an action asked to check it: cleaned values where the
        form accepted them, the raw text elsewhere. Keys are the action's names."""
        names = {form: action for action, form in (field_names or {}).items()}
        cleaned = getattr(self, "cleaned_data", {})
        return {
            names.get(name, name): cleaned.get(name, self.data.get(name, ""))
            for name in self.fields
        }


class SignUpForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        help_text=_("Format attendu : nom@domaine.fr. Elle n'est jamais affichée publiquement."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    display_name = forms.CharField(
        label=_("Nom affiché"),
        help_text=_(
            "Affiché publiquement avec vos contributions : un prénom, un pseudonyme ou le nom "
            "d'une association (2 à 60 caractères)."
        ),
        max_length=60,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    postal_code = forms.CharField(
        label=_("Code postal"),
        help_text=_("5 chiffres, par exemple 62170. Il sert aux statistiques par territoire."),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        help_text=PASSWORD_HELP,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        help_text=_("Saisissez le même mot de passe une seconde fois."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        label=_(
            "J'accepte les conditions d'utilisation et la charte de participation, et j'ai pris "
            "connaissance de la politique de données personnelles."
        ),
        error_messages={
            "required": _("Vous devez accepter les conditions d'utilisation pour créer un compte.")
        },
    )

    # Names the sign_up action uses for its fields, mapped to this form's fields.
    action_fields = {"password": "password1"}

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        return cleaned


class ProfileForm(AccessibleFormMixin, forms.Form):
    display_name = SignUpForm.base_fields["display_name"]
    postal_code = SignUpForm.base_fields["postal_code"]


class EmailChangeForm(AccessibleFormMixin, forms.Form):
    """The new address and the current password; the action checks both (a stolen session
    must not move the account to another mailbox)."""

    new_email = forms.EmailField(
        label=_("Nouvelle adresse électronique"),
        help_text=_(
            "Format attendu : nom@domaine.fr. Un lien de confirmation y sera envoyé ; elle "
            "remplacera l'adresse actuelle une fois confirmée."
        ),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Votre mot de passe actuel"),
        help_text=_("Pour confirmer qu'il s'agit bien de vous."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LoginForm(AccessibleFormMixin, auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "Adresse électronique ou mot de passe incorrect. Vérifiez votre saisie, ou "
            "demandez un nouveau mot de passe."
        ),
        "inactive": _("Ce compte est désactivé."),
    }

    def clean_username(self):
        # Addresses are stored in lower case (see AccountManager).
        return self.cleaned_data["username"].strip().lower()

    def get_invalid_login_error(self):
        return throttled_login_error(self.request) or super().get_invalid_login_error()


def throttled_login_error(request) -> forms.ValidationError | None:
    """The login throttle's refusal instead of "wrong password" when it stopped the sign-in
    (the password was not even checked)."""
    refused = throttle.refused_sign_in(request)
    return forms.ValidationError(refused.message, code="throttled") if refused else None


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form, refused by the same throttle as every other door."""

    def get_invalid_login_error(self):
        return throttled_login_error(self.request) or super().get_invalid_login_error()


class PasswordResetForm(AccessibleFormMixin, auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        help_text=_("L'adresse avec laquelle vous avez créé votre compte."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class NewPasswordMixin:
    """Django's password help is an HTML list; a sentence fits the DSFR hint."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"


class SetPasswordForm(NewPasswordMixin, AccessibleFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordChangeForm(NewPasswordMixin, AccessibleFormMixin, auth_forms.PasswordChangeForm):
    pass


class DeleteAccountForm(AccessibleFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe actuel"),
        help_text=_("Pour confirmer qu'il s'agit bien de vous."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Mot de passe incorrect : votre compte est conservé."))
        return password


class SecondFactorForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code de vérification"),
        help_text=_(
            "Les 6 chiffres affichés par votre application d'authentification, ou l'un de vos "
            "codes de secours."
        ),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class SecondFactorSetupForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code affiché par l'application"),
        help_text=_("6 chiffres, par exemple 123456."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class SecondFactorResetForm(AccessibleFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe actuel"),
        help_text=_("Pour confirmer qu'il s'agit bien de vous."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
