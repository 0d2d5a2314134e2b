"""Account pages: sign up, log in and out, passwords, "Mon compte", personal data, deletion.

Views stay thin: the form checks what the page needs, the action in
consultation.actions.accounts decides and writes.
"""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consultation.actions import accounts as account_actions
from consultation.actions import privacy as privacy_actions
from consultation.errors import ActionRefused
from consultation.identity import oidc, second_factor, throttle
from consultation.identity.email_verification import address_to_verify, email_verification_token
from consultation.models import Contribution, Follow, Registration, User
from consultation.ratelimit import check_rate, client_address
from consultation.security import allow_sign_in_redirects
from frontend import forms_accounts as forms

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("frontend:account")
    form = forms.SignUpForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        user = _sign_up(request, form)
        if user is not None:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(
                request,
                _(
                    "Bienvenue %(name)s : votre compte est créé et vous êtes connecté·e. Pour "
                    "publier, confirmez votre adresse : ouvrez le lien que nous venons "
                    "d'envoyer à %(email)s (valable 48 heures)."
                )
                % {"name": user.display_name, "email": user.email},
            )
            return redirect(safe_next(request, reverse("frontend:home")))
        status = 429 if form.has_error(NON_FIELD_ERRORS, "throttled") else 400
    context = {"form": form, "next": safe_next(request, "")}
    response = render(request, "frontend/accounts/signup.html", context, status=status)
    return allow_sign_in_redirects(response)


def _sign_up(request, form):
    """The new account, or None with every problem on the form: the form's own and the
    action's, found in the same submission."""
    fields = forms.SignUpForm.action_fields
    try:
        if not form.is_valid():
            data = form.action_input(fields)
            account_actions.check_sign_up(
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                postal_code=data["postal_code"],
            )
            return None
        check_rate("signup", client_address(request), settings.RATE_LIMITS["signup"])
        data = form.cleaned_data
        return account_actions.sign_up(
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
            postal_code=data["postal_code"],
        )
    except ActionRefused as exc:
        if exc.code == "throttled":
            form.add_error(None, ValidationError(exc.message, code="throttled"))
        else:
            form.refuse(exc, fields)
        return None


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "frontend/accounts/login.html"
    redirect_authenticated_user = True

    def render_to_response(self, context, **kwargs):
        return allow_sign_in_redirects(super().render_to_response(context, **kwargs))

    def form_invalid(self, form):
        # The login throttle (consultation/identity/throttle.py) refused before any password
        # was checked: 429 with the time to wait, the email kept in the form.
        response = super().form_invalid(form)
        return throttled_response(self.request, response)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Vous êtes connecté·e."))
        return response


def throttled_response(request, response):
    refused = throttle.refused_sign_in(request)
    if refused is not None:
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after)
    return response


def admin_login(request, extra_context=None):
    """The admin's login page under the same throttle as every door (429 when refused)."""
    return throttled_response(request, admin.site.login(request, extra_context))


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET with 405): a link or an image cannot log someone out."""

    def post(self, request, *args, **kwargs):
        # Read before logout() empties the session: a provider's sign-in ends there too.
        provider_session = oidc.provider_session(request)
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté·e."))
        if provider_session:
            from frontend.views.oidc import end_provider_session  # it imports this module

            return end_provider_session(request, *provider_session) or response
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.PasswordResetForm
    template_name = "frontend/accounts/password_reset_form.html"
    email_template_name = "frontend/accounts/password_reset_email.txt"
    subject_template_name = "frontend/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("frontend:password_reset_done")

    def form_valid(self, form):
        # This form sends emails to addresses typed by anyone: per target email and per
        # address (consultation/identity/throttle.py).
        try:
            throttle.check_password_reset(self.request, form.cleaned_data["email"])
        except throttle.Throttled as exc:
            form.refuse(exc)
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "frontend/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.SetPasswordForm
    template_name = "frontend/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("frontend:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        account_actions.confirm_email_by_password_reset(form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "frontend/accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = forms.PasswordChangeForm
    template_name = "frontend/accounts/password_change.html"
    success_url = reverse_lazy("frontend:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Votre mot de passe a été modifié."))
        return response


@never_cache
@login_required
@require_GET
def account(request):
    user = request.user
    contributions = (
        Contribution.objects.filter(author=user).select_related("campaign").order_by("-created_at")
    )
    registrations = (
        Registration.objects.filter(user=user)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("workshop__campaign", "workshop__commune")
        .order_by("workshop__starts_at")
    )
    follows = (
        Follow.objects.filter(user=user)
        .select_related("contribution__campaign")
        .order_by("-created_at")
    )
    context = {
        "contributions": contributions,
        "registrations": registrations,
        "follows": follows,
        "second_factor": {
            "staff": (staff := second_factor.is_staff_account(user)),
            "enrolled": staff and second_factor.has_device(user),
        },
    }
    return render(request, "frontend/accounts/account.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request):
    user = request.user
    initial = {"display_name": user.display_name, "postal_code": user.postal_code}
    form = forms.ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            account_actions.update_profile(user, **form.cleaned_data)
        except ActionRefused as exc:
            form.refuse(exc)
        else:
            messages.success(request, _("Vos informations sont enregistrées."))
            return redirect("frontend:account")
    return _render_profile(request, form, forms.EmailChangeForm(prefix="adresse"))


def _render_profile(request, form, email_form):
    status = 400 if form.errors or email_form.errors else 200
    context = {"form": form, "email_form": email_form}
    return render(request, "frontend/accounts/profile.html", context, status=status)


@never_cache
@login_required
@require_POST
def change_email(request):
    """Ask for another address; it replaces the current one once its link is opened."""
    user = request.user
    email_form = forms.EmailChangeForm(request.POST, prefix="adresse")
    if email_form.is_valid():
        try:
            account_actions.request_email_change(
                user, **email_form.cleaned_data, address=client_address(request)
            )
        except ActionRefused as exc:
            if exc.code == "throttled":
                email_form.add_error(None, ValidationError(exc.message, code="throttled"))
            else:
                email_form.refuse(exc)
        else:
            messages.success(
                request,
                _(
                    "Un lien de confirmation est envoyé à %(email)s (valable 48 heures). Votre "
                    "adresse actuelle reste celle du compte tant que la nouvelle n'est pas "
                    "confirmée."
                )
                % {"email": user.pending_email},
            )
            return redirect("frontend:account")
    initial = {"display_name": user.display_name, "postal_code": user.postal_code}
    response = _render_profile(request, forms.ProfileForm(initial=initial), email_form)
    if email_form.has_error(NON_FIELD_ERRORS, "throttled"):
        response.status_code = 429
    return response


@never_cache
@login_required
@require_POST
def cancel_email_change(request):
    account_actions.cancel_email_change(request.user)
    messages.info(request, _("La demande de changement d'adresse est annulée."))
    return redirect("frontend:account")


@never_cache
@login_required
@require_POST
def resend_verification(request):
    """« Renvoyer le lien »: a new link to the address awaiting verification."""
    try:
        address = account_actions.resend_verification(request.user, address=client_address(request))
    except ActionRefused as exc:
        messages.add_message(
            request, messages.ERROR if exc.code == "throttled" else messages.INFO, exc.message
        )
    else:
        messages.success(
            request,
            _("Un nouveau lien est envoyé à %(email)s (valable 48 heures).") % {"email": address},
        )
    return redirect(safe_next(request, reverse("frontend:account")))


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email(request, uidb64: str, token: str):
    """The link sent by email. GET only shows a button: mail scanners open links before the
    person does, and must not use them up. POST verifies."""
    user = _user_from_uid(uidb64)
    valid = user is not None and email_verification_token.check_token(user, token)
    refusal = None if valid else account_actions.LINK_REFUSED
    if valid and request.method == "POST":
        try:
            verified = account_actions.verify_email(user, token)
        except ActionRefused as exc:
            refusal = exc.message
        else:
            messages.success(
                request,
                _("Merci : votre adresse %(email)s est vérifiée.") % {"email": verified.email},
            )
            if request.user.is_authenticated and request.user.pk == verified.pk:
                return redirect("frontend:account")
            return redirect("frontend:login")
    context = {"refusal": refusal, "address": address_to_verify(user) if valid else ""}
    status = 200 if refusal is None else 400
    return render(request, "frontend/accounts/verify_email.html", context, status=status)


def _user_from_uid(uidb64: str):
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not -(2**63) <= pk < 2**63:  # beyond what the database holds
        return None
    return User.objects.filter(pk=pk, is_active=True, deleted_at__isnull=True).first()


def _kept_guests(request) -> list[int]:
    """The live-session guests this browser joined as (kept in its session by the join): the
    same person, so their export and deletion include them."""
    kept = request.session.get("live_participants")
    return [pk for pk in kept.values() if isinstance(pk, int)] if isinstance(kept, dict) else []


@never_cache
@login_required
@require_GET
def personal_data(request):
    """The person's own data as a JSON download (RGPD right of access and portability)."""
    data = privacy_actions.export_personal_data(request.user, guest_ids=_kept_guests(request))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = forms.DeleteAccountForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        privacy_actions.delete_account(request.user, guest_ids=_kept_guests(request))
        logout(request)
        messages.success(
            request,
            _(
                "Votre compte est supprimé. Vos contributions restent publiées, signées "
                "« Participant·e supprimé·e »."
            ),
        )
        return redirect("frontend:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "frontend/accounts/delete.html", {"form": form}, status=status)
