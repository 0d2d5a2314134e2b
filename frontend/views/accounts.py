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
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from consultation.actions import accounts as account_actions
from consultation.actions import privacy as privacy_actions
from consultation.errors import ActionRefused
from consultation.identity import second_factor, throttle
from consultation.models import Contribution, Follow, Registration
from consultation.ratelimit import check_rate, client_address
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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check_rate("signup", client_address(request), settings.RATE_LIMITS["signup"])
            user = account_actions.sign_up(
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
                postal_code=data["postal_code"],
            )
        except ActionRefused as exc:
            form.refuse(exc, forms.SignUpForm.action_fields)
            status = 429 if exc.code == "throttled" else 400
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(
                request,
                _("Bienvenue %(name)s : votre compte est créé et vous êtes connecté·e.")
                % {"name": user.display_name},
            )
            return redirect(safe_next(request, reverse("frontend:home")))
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "frontend/accounts/signup.html", context, status=status)


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "frontend/accounts/login.html"
    redirect_authenticated_user = True

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
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté·e."))
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
    status = 400 if form.errors else 200
    return render(request, "frontend/accounts/profile.html", {"form": form}, status=status)


@never_cache
@login_required
@require_GET
def personal_data(request):
    """The person's own data as a JSON download (RGPD right of access and portability)."""
    data = privacy_actions.export_personal_data(request.user)
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
        privacy_actions.delete_account(request.user)
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
