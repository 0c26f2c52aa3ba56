from django.urls import path

from accounts.api.views import MeView, TokenView, UserViewSet


def register(router) -> None:
    router.register("users", UserViewSet, basename="user")


extra_urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
]
