"""The endpoint of a run as every HTTP client of it sees it: base URL, headers (auth,
organization, project, user agent), connect timeout, TLS, proxy. No httpx here: the one-off
call's ``LiteClient`` (``http.lite``) is built from these alone.

TLS is set up only for an ``https`` base URL: loading certifi's CA bundle costs tens of
milliseconds, a third of a one-off ``o4 ask`` against a local ``http`` server.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Mapping

from o4cli import __version__
from o4cli.core.config import Settings

CONNECT_TIMEOUT = 10.0
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def user_agent() -> str:
    python = ".".join(map(str, sys.version_info[:3]))  # platform.python_version(), without importing platform
    return f"o4cli/{__version__} (python {python})"


def auth_headers(settings: Settings) -> dict[str, str]:
    """Authorization (``Bearer``, or the ``api-key`` header of Azure OpenAI with ``auth =
    "api-key"``), organization, project, user agent and the profile's fixed ``headers``.

    The key is required here, not earlier, so commands that never reach the
    network (``--dry-run``, ``models show``) work without one."""
    key = settings.require_key()
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    if settings.auth == "api-key":
        headers["api-key"] = key
    else:
        headers["Authorization"] = f"Bearer {key}"
    if settings.organization:
        headers["OpenAI-Organization"] = settings.organization
    if settings.project:
        headers["OpenAI-Project"] = settings.project
    headers.update(settings.headers)
    return headers


def base_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/"


def tls(settings: Settings) -> ssl.SSLContext:
    """The TLS context: for an ``https`` base URL the one httpx makes by default (certifi's
    CA bundle, or $SSL_CERT_FILE / $SSL_CERT_DIR), made here without importing httpx; for
    ``http`` one that trusts no certificate, so nothing is loaded and a request that somehow
    went to an https URL would fail rather than go unverified."""
    if settings.base_url.lower().startswith("https:"):
        if os.environ.get("SSL_CERT_FILE"):
            return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        if os.environ.get("SSL_CERT_DIR"):
            return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def proxied(env: Mapping[str, str]) -> bool:
    """Whether the environment names a proxy (httpx would use it; the H1 pool cannot)."""
    return any(env.get(name) or env.get(name.upper()) for name in PROXY_VARIABLES)
