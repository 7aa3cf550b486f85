from django.urls import path

from tenants.billing import views

urlpatterns = [
    path("", views.billing, name="billing"),
    path("ledger.csv", views.ledger_csv, name="billing_ledger_csv"),
    path("packs/buy/", views.buy_pack, name="billing_buy_pack"),
    path("purchases/<uuid:purchase_id>/", views.purchase_detail, name="billing_purchase"),
    path("subscribe/", views.subscribe, name="billing_subscribe"),
    path("subscription/cancel/", views.cancel_subscription, name="billing_cancel_subscription"),
    path("portal/", views.customer_portal, name="billing_portal"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
