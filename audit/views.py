"""The log over HTTP as C2SP specifies it (tlog-tiles v0.1.0), under /log/:

    /log/checkpoint                 the latest checkpoint, a signed note with its witnesses' cosignatures
    /log/vkey                       the log's verifier key, to pin
    /log/tile/<L>/<N>[.p/<W>]       hash tiles (public)
    /log/tile/entries/<N>[.p/<W>]   the events' canonical bytes (installation auditors: events carry request content)

Tiles are immutable and cached for a year (by HTTP caches, and full ones by the site's
cache); the checkpoint changes with every seal and is cached for a few seconds.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, renderers
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from audit import log, signing, tiles
from audit.models import Checkpoint
from audit.permissions import IsAuditor
from reports.tenancy import exercise_default, exercise_for_user

TEXT = "text/plain; charset=utf-8"
TILE_CONTENT_TYPE = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
CHECKPOINT_MAX_AGE_S = 5
TILE_CACHE_S = 24 * 3600  # full tiles in the site's cache; they never change, the bound only frees memory


def _plain(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type=TEXT)


def _immutable(request: HttpRequest, body: bytes, content_type: str, etag: str | None = None) -> HttpResponse:
    etag = etag or f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response


@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest is None:
        return _plain(404, "The log has no checkpoint yet.")
    note = log.checkpoint_note(latest, latest.cosignatures.order_by("witness"))
    response = HttpResponse(note, content_type=TEXT)
    response["Cache-Control"] = f"public, max-age={CHECKPOINT_MAX_AGE_S}"
    return response


@require_safe
def vkey(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(signing.log_vkey() + "\n", content_type=TEXT)
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def tile(request: HttpRequest, level: str, path: str) -> HttpResponse:
    try:
        address = tiles.tile_address_parse(path=path)
    except tiles.TileError as error:
        return _plain(404, str(error))
    key = f"log-tile:{signing.log_vkey()}:{level}/{path}"
    if address.full and (cached := cache.get(key)) is not None:
        body, etag = cached
        return _immutable(request, body, TILE_CONTENT_TYPE, etag)
    try:
        body = tiles.tile_hashes(level=int(level), address=address, tree_size=log.tree_size())
    except tiles.TileError as error:
        return _plain(404, str(error))
    response = _immutable(request, body, TILE_CONTENT_TYPE)
    if address.full:
        cache.set(key, (body, response["ETag"]), TILE_CACHE_S)
    return response


class InstallationAuditor(permissions.BasePermission):
    """Entry bundles hold every exercise's events: only auditors of the installation (not of one class) read them."""

    message = "Entry bundles hold every exercise's events: they are for the installation's auditors."

    def has_permission(self, request, view) -> bool:
        return exercise_for_user(request.user).pk == exercise_default().pk


class EntryBundleView(APIView):
    """An entry bundle of the log (c2sp.org/tlog-tiles): each event's canonical bytes after a uint16 length."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor, InstallationAuditor]
    # The bundle itself is an HttpResponse of bytes; only errors go through a renderer, in the API's JSON format.
    renderer_classes = [renderers.JSONRenderer]

    @extend_schema(tags=["auditors"], responses={200: OpenApiTypes.BINARY},
                   description="Entry bundle N (`005`, `x001/234`) or a partial one (`005.p/17`): the events of leaves "
                               "N·256 onward, each as a big-endian uint16 length and its canonical bytes.")
    def get(self, request, path: str):
        try:
            address = tiles.tile_address_parse(path=path)
            body = tiles.entry_bundle(address=address, tree_size=log.tree_size())
        except tiles.TileError as error:
            raise NotFound(str(error)) from None
        response = _immutable(request, body, TILE_CONTENT_TYPE)
        # Auditors' bytes: no shared cache may keep them.
        response["Cache-Control"] = "private, max-age=31536000, immutable"
        return response
