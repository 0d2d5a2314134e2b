"""Routes of the account and legal pages (namespace "frontend", see frontend/urls.py)."""

from django.urls import path, re_path

from frontend.views import accounts, legal, oidc, second_factor

urlpatterns = [
    path("compte/", accounts.account, name="account"),
    path("compte/profil/", accounts.edit_profile, name="profile"),
    path("compte/adresse/", accounts.change_email, name="email_change"),
    path("compte/adresse/annuler/", accounts.cancel_email_change, name="email_change_cancel"),
    path("compte/verification/renvoyer/", accounts.resend_verification, name="verify_email_resend"),
    path("compte/verification/<uidb64>/<token>/", accounts.verify_email, name="verify_email"),
    path("compte/inscription/", accounts.signup, name="signup"),
    path("compte/connexion/", accounts.LoginView.as_view(), name="login"),
    path("compte/deconnexion/", accounts.LogoutView.as_view(), name="logout"),
    path("compte/double-authentification/", second_factor.verify, name="second_factor"),
    path(
        "compte/double-authentification/activer/",
        second_factor.setup,
        name="second_factor_setup",
    ),
    path(
        "compte/double-authentification/reinitialiser/",
        second_factor.reset,
        name="second_factor_reset",
    ),
    path("compte/mes-donnees.json", accounts.personal_data, name="account_data"),
    path("compte/supprimer/", accounts.delete_account, name="account_delete"),
    path(
        "compte/mot-de-passe/modifier/",
        accounts.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "compte/mot-de-passe/oublie/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "compte/mot-de-passe/oublie/envoye/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe/nouveau/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/nouveau/termine/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    re_path(
        r"^compte/(?P<provider>franceconnect|proconnect)/connexion/$", oidc.start, name="oidc_start"
    ),
    re_path(
        r"^compte/(?P<provider>franceconnect|proconnect)/retour/$",
        oidc.callback,
        name="oidc_callback",
    ),
    re_path(
        r"^compte/(?P<provider>franceconnect|proconnect)/deconnexion/$",
        oidc.logout_return,
        name="oidc_logout_return",
    ),
    path("accessibilite/", legal.accessibility, name="accessibility"),
    path("mentions-legales/", legal.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", legal.personal_data, name="personal_data"),
    path("plan-du-site/", legal.sitemap, name="sitemap"),
]
