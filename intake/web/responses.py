"""What every response gets on its way out: security headers (HSTS in production), no caching
of private pages, and gzip for slow connections."""
import gzip

from flask import current_app, request

from ..extensions import address_carries_secret

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript",
                "application/json", "text/plain"}


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts:
        response.headers.setdefault("Strict-Transport-Security",
                                    f"max-age={hsts}; includeSubDomains")
    return response


def private_pages(blueprints_or_endpoints):
    """One rule for every private page: a page of these blueprints (or these endpoints), or
    whose address carries a secret (a `token` argument), is never stored by a browser or a
    proxy; an address with a secret is never sent on as a referrer either."""
    names = frozenset(blueprints_or_endpoints)

    def no_store(response):
        carries_secret = address_carries_secret()
        if carries_secret or request.blueprint in names or request.endpoint in names:
            response.headers["Cache-Control"] = "no-store"
        if carries_secret:
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return no_store


def compress(response):
    """Gzip text for contacts on slow connections (a proxy in front may do it instead)."""
    if (response.mimetype not in COMPRESSIBLE
            or "gzip" not in request.headers.get("Accept-Encoding", "")
            or response.status_code not in (200, 422, 400, 404, 429, 503)
            or response.is_streamed  # a download streamed in batches: never held whole
            or "Content-Range" in response.headers
            or "Content-Encoding" in response.headers):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < 1024:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, _weak = response.get_etag()
    if etag:  # the compressed bytes are another representation
        response.set_etag(etag + "-gzip", weak=True)
    return response


def register(app, private=()):
    app.after_request(add_security_headers)
    app.after_request(private_pages(private))
    app.after_request(compress)
