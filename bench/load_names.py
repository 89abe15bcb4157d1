"""The name each request of the load bench is counted under, shared by the Locust people
(locustfile.py) and the bare floor app (floor_app.py), which serves each name a page of the
size the real app served it: a route, without its tokens; the queue, by the view asked for."""
import re

QUEUE_VIEWS = {
    "": "no filters",
    "?region=Europe&area=essential-services&state=submitted": "region + area + state",
    "?q=welcome": "search",
    "?state=all&sort=city": "all, by city",
    "?state=all&page=2": "page 2",
}


def endpoint(method, path, query=""):
    """`GET /pledge/step/city`, `GET /track/[token]/status`, `GET /triage/ (search)`."""
    path, _, rest = path.partition("?")
    query = query or (f"?{rest}" if rest else "")
    path = re.sub(r"^/(track|resume)/[^/]+", r"/\1/[token]", path)
    if path == "/triage/" and method == "GET":
        return f"GET /triage/ ({QUEUE_VIEWS.get(query, 'other')})"
    return f"{method} {path}"
