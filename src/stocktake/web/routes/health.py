"""A readiness probe for whoever runs the server (a load balancer, a service manager, the web
benchmark): 200 once the workspace has made its series since start-up or the last load, 503 until
then. It says nothing about the data and needs no account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/healthz", include_in_schema=True)
def healthz(request: Request) -> JSONResponse:
    ready = request.app.state.workspace.ready()
    return JSONResponse({"ready": ready}, status_code=200 if ready else 503)
