from django.urls import path

from customers import document_views, export_views, views

app_name = "customers"

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="region_list"),
    path("regions/new/", views.RegionFormView.as_view(), name="region_create"),
    path("regions/<int:pk>/edit/", views.RegionFormView.as_view(), name="region_edit"),
    path("dealers/", views.DealerListView.as_view(), name="dealer_list"),
    path("dealers/export/", export_views.DealerExportView.as_view(), name="dealer_export"),
    path("dealers/new/", views.DealerCreateView.as_view(), name="dealer_create"),
    path("dealers/<int:pk>/", views.DealerDetailView.as_view(), name="dealer_detail"),
    path("dealers/<int:pk>/edit/", views.DealerEditView.as_view(), name="dealer_edit"),
    path("dealers/<int:pk>/submit/", views.DealerSubmitView.as_view(), name="dealer_submit"),
    path("dealers/<int:pk>/approve/", views.DealerApproveView.as_view(), name="dealer_approve"),
    path("dealers/<int:pk>/return/", views.DealerReturnView.as_view(), name="dealer_return"),
    path("dealers/<int:pk>/file/", views.DealerFileView.as_view(), name="dealer_file"),
    path("dealers/<int:pk>/authorize/", views.DealerAuthorizeView.as_view(), name="dealer_authorize"),
    path("dealers/<int:pk>/grade/", views.DealerGradeView.as_view(), name="dealer_grade"),
    path("dealers/<int:pk>/card/", views.DealerCardView.as_view(), name="dealer_card"),
    path("dealers/<int:pk>/agreement/", views.DealerAgreementView.as_view(), name="dealer_agreement"),
    path("customers/", views.CustomerListView.as_view(), name="customer_list"),
    path("customers/export/", export_views.CustomerExportView.as_view(), name="customer_export"),
    path("customers/new/", views.CustomerFormView.as_view(), name="customer_create"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("customers/<int:pk>/edit/", views.CustomerFormView.as_view(), name="customer_edit"),
    path("customers/<int:pk>/purchases/new/", views.PurchaseAddView.as_view(), name="purchase_add"),
    path("purchases/<int:pk>/remove/", views.PurchaseRemoveView.as_view(), name="purchase_remove"),
    path("documents/", document_views.DocumentListView.as_view(), name="document_list"),
    path("documents/new/", document_views.DocumentCreateView.as_view(), name="document_create"),
    path("documents/<int:pk>/", document_views.DocumentDetailView.as_view(), name="document_detail"),
    path("documents/<int:pk>/versions/new/", document_views.DocumentVersionCreateView.as_view(), name="document_version_create"),
    path("documents/<int:pk>/versions/<int:number>/", document_views.DocumentDownloadView.as_view(), name="document_download"),
]
