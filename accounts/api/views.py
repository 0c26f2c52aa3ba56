from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.serializers import ProfilesInputSerializer, UserSerializer
from accounts.events import token_created_event
from accounts.lockout import api_locked_out
from accounts.permissions import restrict
from accounts.services import user_set_profiles
from api.permissions import ProfilePermission, requires


class UserFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="username", lookup_expr="icontains")
    profile = filters.CharFilter(field_name="groups__name")

    class Meta:
        model = get_user_model()
        fields = ["is_active"]


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Users and their product profiles. Administrators only."""

    serializer_class = UserSerializer
    permission_classes = [ProfilePermission]
    filterset_class = UserFilterSet
    ordering_fields = ["username", "id"]

    def get_queryset(self):
        model = get_user_model()
        return restrict(self.request.user, "view", model.objects.prefetch_related("groups").order_by("id"))

    @extend_schema(request=ProfilesInputSerializer, responses=UserSerializer)
    @action(detail=True, methods=["put"], url_path="profiles")
    @requires("change")
    def profiles(self, request, pk=None):
        user = self.get_object()
        data = ProfilesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_set_profiles(actor=request.user, user=user, profiles=data.validated_data["profiles"])
        return Response(UserSerializer(user).data)


class MeView(RetrieveAPIView):
    """The authenticated user, with their product profiles."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self):
        return self.request.user


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (its creation goes into the audit trail)."""

    permission_classes = []

    def post(self, request, *args, **kwargs):
        """A locked-out username (django-axes, ``OC_LOGIN_*``) is a 429 before any password check;
        a success counts as a login (it resets the failures and sets ``last_login``)."""
        http_request = request._request  # axes keeps its flags on Django's request, not DRF's wrapper
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if self._locked(http_request, username):
            return api_locked_out(http_request)
        serializer = self.serializer_class(data=request.data, context={"request": http_request})
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            if self._locked(http_request, username):  # this failure reached the limit
                return api_locked_out(http_request)
            raise
        user = serializer.validated_data["user"]
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        token, created = Token.objects.get_or_create(user=user)
        if created:
            token_created_event(actor=user, user=user, how="api")
        return Response({"token": token.key})

    @staticmethod
    def _locked(http_request, username) -> bool:
        if not settings.AXES_ENABLED or not isinstance(username, str):
            return False
        return getattr(http_request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(
            http_request, {"username": username}
        )
