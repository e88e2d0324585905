"""Users of the platform: one account per person, signed in by mobile number or e-mail."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .targets import normalize_login


class UserManager(BaseUserManager["User"]):
    """Creates users from a login that is either a mainland mobile number or an e-mail address."""

    use_in_migrations = True

    def create_user(self, login: str, password: str | None = None, **extra) -> User:
        login = self.normalize_login(login)
        if "@" in login:
            extra.setdefault("email", login)
        else:
            extra.setdefault("phone", login)
        user = self.model(login=login, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, login: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(login, password, **extra)

    @staticmethod
    def normalize_login(login: str) -> str:
        """The one normalisation of ``accounts.targets`` (``chop.identity`` rules)."""
        return normalize_login(login)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. ``login`` is the phone or e-mail they registered with; both may be filled later."""

    login = models.CharField(_("login"), max_length=254, unique=True)
    phone = models.CharField(_("mobile number"), max_length=20, unique=True, null=True, blank=True)
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_staff = models.BooleanField(_("platform operator"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "login"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.login

    @property
    def display_name(self) -> str:
        return self.name or self.masked_login

    @property
    def masked_login(self) -> str:
        """The login with its middle hidden, for pages other people see."""
        if "@" in self.login:
            local, _, domain = self.login.partition("@")
            return f"{local[:2]}***@{domain}"
        return f"{self.login[:3]}****{self.login[-4:]}" if len(self.login) >= 7 else self.login


class OneTimeCode(models.Model):
    """A one-time code sent to a phone or e-mail address for one purpose.

    Only an HMAC of the code is stored, so a database dump does not hand out live codes. Rows are
    kept (not deleted on use) because they are what the resend interval and the daily caps count.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", _("registration")
        LOGIN = "login", _("login")
        RESET = "reset", _("password reset")
        CONFIRM = "confirm", _("confirmation")

    target = models.CharField(_("sent to"), max_length=254)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    delivered = models.BooleanField(
        _("delivered"),
        default=True,
        help_text=_("False for a decoy row made when no account exists, so responses look alike."),
    )

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["target", "purpose", "-created_at"]),
            models.Index(fields=["target", "-created_at"]),
            models.Index(fields=["ip", "-created_at"]),
        ]

    def __str__(self) -> str:
        # Masked: this label lands in audit events that company admins may read.
        from .targets import parse_target

        try:
            to = parse_target(self.target).masked
        except Exception:
            to = "***"
        return f"{self.purpose} → {to} @ {self.created_at:%Y-%m-%d %H:%M:%S}"


class RateCounter(models.Model):
    """One fixed-window counter (see ``chop.accounts.ratelimit``).

    Kept in the database rather than the cache because the default cache is per-process LocMem,
    which would let every worker process count on its own.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="accounts_ratecounter_key_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M:%S}: {self.count}"


class LoginFailures(models.Model):
    """Failed logins for one (account, client address) pair since its last success.

    This is the lock a stranger cannot put on somebody else: it only ever blocks the account from
    the address that kept guessing. ``account`` is the account's ``login`` when the typed name
    belongs to one (any spelling), else the canonical typed name, so unknown names are throttled
    alike. See ``chop.accounts.lockout``.
    """

    account = models.CharField(max_length=254)
    ip = models.CharField(max_length=45, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "ip"], name="accounts_loginfailures_pair")
        ]

    def __str__(self) -> str:
        return f"{self.account} from {self.ip or '?'}: {self.failures}"


class KnownAddress(models.Model):
    """A client address an account has logged in from (password or code).

    Lets the owner through limits that strangers fill up: a spraying neighbour behind the same
    address, or a number's daily code cap exhausted by somebody else.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    ip = models.CharField(max_length=45)
    last_login_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ip"], name="accounts_knownaddress_user_ip")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.ip}"
