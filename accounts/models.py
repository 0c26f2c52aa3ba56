"""Users of the platform. A user's product profiles are Django groups (see accounts/profiles.py)."""

from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person working in the platform; what they may do comes from their product profiles."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("preview_personal_data", _("Can see row-level previews of audiences and transitions")),
        ]

    @property
    def profile_names(self) -> list[str]:
        from accounts.profiles import ProductProfile

        known = {p.value for p in ProductProfile}
        return sorted(g.name for g in self.groups.all() if g.name in known)
