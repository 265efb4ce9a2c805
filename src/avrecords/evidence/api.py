"""JSON API for evidence packages (M6, M7): the requester downloads the package of his
executed export request once.

Nothing here bypasses approval: the download checks the requester, the live grant and that
the artifact was not taken before, exactly as the page does (`services.take`). The address
stays under the request it belongs to (`/access-requests/{pk}/package/{artifact}`), in the
requests' section of the document."""

from __future__ import annotations

from django.http import FileResponse
from ninja import Router

from avrecords.access.models import AccessRequest
from avrecords.evidence import services
from avrecords.evidence.models import Artifact
from avrecords.lib.api_schemas import Error
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import NotFound, require

router = Router(tags=["查阅与复制申请"])
AUTH = {401: Error, 403: Error, 404: Error}


@router.get(
    "/access-requests/{int:pk}/package/{artifact}",
    response={200: None, 400: Error, **AUTH},
    summary="下载证据包（bag）或光盘镜像（iso）：仅申请人、授权有效期内、每个文件一次",
    # the id it had when access served it, so clients generated from the document keep it
    operation_id="avrecords_access_api_download_package",
)
def download_package(request, pk: int, artifact: str):
    req = AccessRequest.objects.visible_to(request.user).filter(pk=pk).first()
    package = getattr(req, "package", None) if req else None
    if package is None or artifact not in Artifact.values:
        raise NotFound("证据包不存在或不在您的权限范围内")
    require(request.user.pk == req.requester_id, "无权下载：只有申请人可以下载证据包")
    handle, name = services.take(request.user, package, artifact, ip=client_ip(request))
    return FileResponse(handle, as_attachment=True, filename=name)
