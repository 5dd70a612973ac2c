"""Accounts in the admin, and the site-wide admin settings users/ owns.

- `user_admin`: `UserAdmin`, the user list and page (columns, who may change whom,
  saving through the services);
- `actions`: the bulk actions (locks, roles, professional status, sessions, CSV export);
- `forms`: the add, edit and set-password forms; `history`: what History says;
- `audit_trail`: the latest audit rows on a user's page;
- `password_reset`: Django's password reset pages, through the account services;
- two-step sign-in and second factors: `users.two_step` (pages of `users.adminsite`).
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..forms import StaffLoginForm
from .forms import UserEditForm
from .user_admin import UserAdmin

# Permissions come from the role (users.backends); groups would mean nothing here.
admin.site.unregister(Group)
# Second factors are managed on the two-step pages (users.two_step), never by reading keys.
admin.site.unregister(TOTPDevice)
admin.site.login_form = StaffLoginForm
# The app list on the left would leave the user list too little of a 1366-px screen.
admin.site.enable_nav_sidebar = False

__all__ = ["UserAdmin", "UserEditForm"]
