"""Result pages: the published article as a real HTML page, with links to its URLs."""

from __future__ import annotations

import html

from ..models import Site
from .store import TaskRecord


def article_page(task: TaskRecord, site: Site) -> str:
    """The page a placement publishes: title, body (HTML as submitted) and its links."""
    title = html.escape(task.article_title)
    links = "\n".join(
        f'      <li><a href="{html.escape(url, quote=True)}">{html.escape(url)}</a></li>'
        for url in task.article_urls
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{title} | {html.escape(site.url)}</title>
  </head>
  <body>
    <header>{html.escape(site.url)}</header>
    <article>
      <h1>{title}</h1>
      <div class="article-body">
{task.article_body}
      </div>
      <h2>Sources</h2>
      <ul class="article-links">
{links}
      </ul>
    </article>
  </body>
</html>
"""


def missing_page() -> str:
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title>"
        "</head><body><h1>404 Not Found</h1><p>No published article here.</p></body></html>\n"
    )
