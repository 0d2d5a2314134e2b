"""« Double authentification »: staff enrol an authenticator app, type its code after signing
in, and reset it from « Mon compte ». The gate itself is a middleware
(consultation/identity/second_factor.py); these pages are what it sends staff to.
"""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consultation.actions import second_factor as actions
from consultation.errors import ActionRefused
from consultation.identity import second_factor as gate
from frontend import forms_accounts as forms
from frontend.views.accounts import safe_next


def _refused_status(exc: ActionRefused) -> int:
    return 429 if exc.code == "throttled" else 400


def _keeping_next(request, page: str):
    query = request.GET.urlencode()
    return redirect(f"{reverse(page)}?{query}" if query else reverse(page))


def _grouped(secret: str) -> str:
    """JBSWY3DP EHPK3PXP... : easier to copy by hand than 32 letters in a row."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code page, for a staff account that has a device."""
    next_url = safe_next(request, reverse("frontend:home"))
    if gate.passes(request):
        return redirect(next_url)
    if not gate.has_device(request.user):
        return _keeping_next(request, "frontend:second_factor_setup")
    form = forms.SecondFactorForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = actions.verify_code(request.user, form.cleaned_data["code"])
        except ActionRefused as exc:
            form.refuse(exc, {None: "code"})
            status = _refused_status(exc)
        else:
            gate.record_verified_device(request, device)
            return redirect(next_url)
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "frontend/accounts/second_factor.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment: scan the QR code (or type the secret), confirm with a code, read the
    recovery codes once."""
    user = request.user
    if not gate.is_staff_account(user):
        return redirect("frontend:account")  # residents are never asked
    if gate.has_device(user):
        # Enrolling again replaces the device: only after a reset, never to get around it.
        return _keeping_next(request, "frontend:second_factor")
    device = actions.pending_device(user)
    form = forms.SecondFactorSetupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = actions.confirm_enrolment(user, form.cleaned_data["code"])
        except ActionRefused as exc:
            form.refuse(exc, {None: "code"})
            status = _refused_status(exc)
        else:
            gate.record_verified_device(request, device)
            context = {"codes": codes, "next": safe_next(request, reverse("frontend:account"))}
            return render(request, "frontend/accounts/second_factor_codes.html", context)
    elif request.method == "POST":
        status = 400
    secret = _secret(device)
    context = {
        "form": form,
        "next": safe_next(request, ""),
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=4,
            border=4,
            light="#fff",  # a white margin: scannable on a dark theme too
        ),
        "secret": _grouped(secret),
    }
    return render(request, "frontend/accounts/second_factor_setup.html", context, status=status)


def _secret(device) -> str:
    return b32encode(device.bin_key).decode()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reset(request):
    """A new phone: remove the device (password asked again), then enrol again."""
    form = forms.SecondFactorResetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reset_second_factor(request.user, form.cleaned_data["password"])
        except ActionRefused as exc:
            form.refuse(exc)
        else:
            request.session.pop(gate.SESSION_KEY, None)
            messages.info(
                request,
                _("Double authentification réinitialisée : associez maintenant votre application."),
            )
            return redirect("frontend:second_factor_setup")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "frontend/accounts/second_factor_reset.html", {"form": form}, status=status
    )
