from django.core.management.base import BaseCommand
from django.urls import URLPattern, URLResolver, get_resolver


def walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern).lstrip("^"), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern).lstrip("^").rstrip("$"), namespace, pattern.name or ""


class Command(BaseCommand):
    help = "List the URL routes this process serves (namespace, route, name)."

    def handle(self, *args, **options):
        for route, namespace, name in walk(get_resolver().url_patterns):
            if not namespace.startswith("admin"):
                self.stdout.write(f"{namespace or '-'}\t/{route}\t{name}")
