"""link_host, embed_host / embed_url, url_path: where the site's links, widgets and pages lead."""
from __future__ import annotations

from checklists.checks.base import Check, Hit, quote_list


def _host_matches(host: str, hosts: tuple[str, ...]) -> bool:
    for h in hosts:
        if host == h or host.endswith("." + h):
            return True
    return False


class LinkHostCheck(Check):
    def __init__(self, hosts: tuple[str, ...], paths: tuple[str, ...], exclude: tuple[str, ...]):
        self.hosts, self.paths, self.exclude = hosts, paths, exclude

    def run(self, u, v):
        if not u.is_page:
            return None
        chrome_hit = None
        for host, path, link in u.offsite_links():
            if not _host_matches(host, self.hosts):
                continue
            if self.paths and not any(path.startswith(p) for p in self.paths):
                continue
            if self.exclude and any(path.startswith(p) for p in self.exclude):
                continue
            text = f"{link.text} → {link.url}" if link.text else link.url
            hit = Hit(u.url, "link_host", text[:200], chrome=not u.in_main(link.text))
            if not hit.chrome:
                return [hit]
            chrome_hit = chrome_hit or hit
        return [chrome_hit] if chrome_hit else None

    def describe(self):
        where = ", ".join(h + p for h in self.hosts for p in (self.paths or ("",)))
        return f"ссылку на {where}"


class EmbedCheck(Check):
    """A script/iframe/embed source on one of `hosts`, or containing one of `substrings`."""

    def __init__(self, hosts: tuple[str, ...] = (), substrings: tuple[str, ...] = ()):
        self.hosts, self.substrings = hosts, substrings

    def run(self, u, v):
        if not u.is_page:
            return None
        for src in u.page.embeds:
            if self.hosts:
                host, _ = v.host_path(src)
                if host and _host_matches(host, self.hosts):
                    return [Hit(u.url, "embed", src[:200], chrome=v.is_chrome_embed(src))]
            if self.substrings:
                low = src.lower()
                if any(s in low for s in self.substrings):
                    return [Hit(u.url, "embed", src[:200], chrome=v.is_chrome_embed(src))]
        return None

    def describe(self):
        return "встроенный виджет или скрипт " + ", ".join(self.hosts + self.substrings)


class UrlPathCheck(Check):
    on_docs = True

    def __init__(self, substrings: tuple[str, ...]):
        self.substrings = substrings

    def run(self, u, v):
        path = u.path
        for s in self.substrings:
            if s in path:
                return [Hit(u.url, "url_path", path[:200])]
        return None

    def describe(self):
        return "адрес страницы или документа, содержащий " + quote_list(self.substrings)
