from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.home, name="home"),
    path("i/<str:token>/", views.invite, name="invite"),
    path("c/<slug:slug>/", views.consultation_home, name="consultation"),
    path("c/<slug:slug>/profile/", views.profile, name="profile"),
    path("c/<slug:slug>/questions/", views.questions, name="questions"),
    path("c/<slug:slug>/autosave/", views.autosave, name="autosave"),
    path("c/<slug:slug>/resources/<int:resource_id>/", views.resource_detail, name="resource"),
    path("c/<slug:slug>/resources/<int:resource_id>/comment/", views.comment, name="comment"),
    path("c/<slug:slug>/resources/<int:resource_id>/file/", views.resource_file, name="resource-file"),
    path("c/<slug:slug>/review/", views.review, name="review"),
    path("c/<slug:slug>/submit/", views.submit, name="submit"),
    path("c/<slug:slug>/receipt/", views.receipt, name="receipt"),
    path("c/<slug:slug>/sign-out/", views.sign_out, name="sign-out"),
]
