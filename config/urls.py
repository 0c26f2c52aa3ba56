"""Root URLs: admin, REST API, OpenAPI documents, health check, language switch."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from audiences import admin_rule_builder
from config.health import healthz

admin.site.site_header = _("Orchestrated Campaigns")
admin.site.site_title = _("Orchestrated Campaigns")
admin.site.index_title = _("Campaigns, audiences and channels")

urlpatterns = [
    path("admin/audiences/rule-builder/", include(admin_rule_builder.page_urlpatterns)),
    path("admin/", admin.site.urls),
    path("api/v1/rule-builder/", include(admin_rule_builder.api_urlpatterns)),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("t/", include("channels.tracking.urls")),
]

handler400 = "api.errors.handler400"
handler404 = "api.errors.handler404"
handler500 = "api.errors.handler500"
