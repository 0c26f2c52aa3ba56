"""The /api/v1/ tree: each app contributes its routes to one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import urls as accounts_urls
from audiences.api import urls as audiences_urls
from campaigns.api import urls as campaigns_urls
from channels.api import urls as channels_urls

router = DefaultRouter()
for module in (accounts_urls, audiences_urls, campaigns_urls, channels_urls):
    module.register(router)

urlpatterns = [
    path("", include(router.urls)),
    path("", include(accounts_urls.extra_urlpatterns)),
]
