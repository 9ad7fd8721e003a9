from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from salesdesk.export_views import StaffExportView
from salesdesk import import_views, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("search/", views.QuickSearchView.as_view(), name="search"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("access/", views.AccessRequestListView.as_view(), name="access_list"),
    path("access/new/", views.AccessRequestCreateView.as_view(), name="access_create"),
    path("access/<int:pk>/", views.AccessRequestDetailView.as_view(), name="access_detail"),
    path("access/lockouts/", views.LockoutListView.as_view(), name="lockout_list"),
    path("audit/", views.AuditListView.as_view(), name="audit_list"),
    path("outbox/", views.OutboxListView.as_view(), name="outbox_list"),
    path("outbox/<int:pk>/retry/", views.OutboxActionView.as_view(), {"action": "retry"}, name="outbox_retry"),
    path("outbox/<int:pk>/cancel/", views.OutboxActionView.as_view(), {"action": "cancel"}, name="outbox_cancel"),
    path("staff/", views.StaffListView.as_view(), name="staff_list"),
    path("staff/export/", StaffExportView.as_view(), name="staff_export"),
    path("staff/<int:pk>/edit/", views.StaffEditView.as_view(), name="staff_edit"),
    path("reveal/<str:model>/<int:pk>/<str:field>/", views.RevealView.as_view(), name="reveal"),
    path("imports/", import_views.ImportListView.as_view(), name="import_list"),
    path("imports/<int:pk>/", import_views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/columns/", import_views.ImportColumnsView.as_view(), name="import_columns"),
    path("imports/<int:pk>/confirm/", import_views.ImportConfirmView.as_view(), name="import_confirm"),
    path("imports/<int:pk>/errors/", import_views.ImportErrorsView.as_view(), name="import_errors"),
    path("imports/template/<str:kind>/", import_views.ImportTemplateView.as_view(), name="import_template"),
    path("admin/", admin.site.urls),
]

# Each department app with a `url_prefix` on its AppConfig is mounted there.
urlpatterns += [
    path(config.url_prefix, include(f"{config.name}.urls"))
    for config in apps.get_app_configs()
    if getattr(config, "url_prefix", None)
]
