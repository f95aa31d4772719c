"""Who may use a staff route: every staff view declares its roles with roles_required."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.accounts.models import Role

ALL_STAFF = tuple(Role)


def roles_required(*roles: Role) -> Callable:
    """Allow signed-in staff whose role is one of `roles`; others get 403, strangers the login."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorate
