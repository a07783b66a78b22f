"""The web dashboard: live kanban boards and flow metrics in the browser, signed in from chat.

One more adapter: its pages read storage, its clicks become chat commands run through the sink
(:mod:`adapters.web.adapter`). Server-rendered HTML (Jinja2) with vendored htmx, SortableJS and
Chart.js (``static/vendor``), under a Content-Security-Policy without inline script.
"""

from adapters.web.adapter import WebAdapter
from adapters.web.site import Site
from adapters.web.viewer import Helpers

__all__ = ["Helpers", "Site", "WebAdapter"]
