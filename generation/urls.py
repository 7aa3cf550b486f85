from django.urls import path

from generation import views

urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("images/<uuid:image_id>/select/", views.image_select, name="image_select"),
    path("images/<uuid:image_id>/rerender/", views.image_rerender, name="image_rerender"),
    path("images/<uuid:image_id>/pack.zip", views.image_pack, name="image_pack"),
    path("files/<uuid:file_id>/", views.file_download, name="file_download"),
]
