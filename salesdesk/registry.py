"""What the apps plug into the core: the core shows and runs these, and names no app.

Each app registers its parts from its `AppConfig.ready()`:

    from salesdesk import registry

    registry.archive_category("visits", _("Visits"), models=["fieldwork.visit"], region_path="region__path")
    registry.importer(VisitImporter)
    registry.export(VISIT_LIST)
    registry.dashboard_panel("fieldwork/panels/due.html", visits_due_panel, order=30)
    registry.action_labels({"fieldwork.visit.recorded": _("Visit recorded")})
    registry.status_colors({"planned": "info"})
    registry.revealable("fieldwork.visit")
    registry.navigation(_("Visits"), "fieldwork:visit_list", "archive.query", "visits", icon="telephone", order=35)
    registry.search_provider(_("Visits"), visit_hits, list_url="fieldwork:visit_list", order=40)

The core reads them back through the functions at the bottom (`importers()`, `panels()`…).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Category:
    """An archive category: what an access request may be scoped to (DOMAIN.md §1)."""

    code: str
    label: object
    models: tuple = ()
    region_path: str = ""  # the lookup from a record to its region's tree path, if it lives in regions


@dataclass(frozen=True)
class Panel:
    """A part of the dashboard: `context(user)` gives the template's context, or None to hide it."""

    template: str
    context: object
    order: int = 50


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    action: str
    target: object = None
    icon: str = "circle"
    order: int = 50


@dataclass(frozen=True)
class SearchProvider:
    """One group of the quick search: `function(user, query, limit)` gives at most `limit` hits
    (`salesdesk.search.Hit`) of the records `user` may see for a parsed query, or None when the
    user may not search them; `list_url` names the list that shows all of them (`?q=`)."""

    label: object
    function: object
    list_url: str = ""
    order: int = 50


@dataclass
class _Registry:
    categories: dict = field(default_factory=dict)  # code -> Category
    category_of_model: dict = field(default_factory=dict)  # "app.model" -> category code
    importers: dict = field(default_factory=dict)  # kind -> Importer class
    exports: dict = field(default_factory=dict)  # name -> Export
    panels: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # audit action -> label
    colors: dict = field(default_factory=dict)  # status value -> Bootstrap colour
    revealable: set = field(default_factory=set)  # "app.model" whose personal data may be revealed
    nav: list = field(default_factory=list)
    search: list = field(default_factory=list)


_parts = _Registry()


# Registering (from AppConfig.ready) ---------------------------------------------------------


def archive_category(code, label, *, models=(), region_path=""):
    _parts.categories[code] = Category(code, label, tuple(models), region_path)
    for model in models:
        _parts.category_of_model[model] = code


def importer(importer_class):
    """An Importer subclass with `kind` and `label`; `ImportJob.kind` must be one of these."""
    _parts.importers[importer_class.kind] = importer_class
    return importer_class


def export(spec):
    _parts.exports[spec.name] = spec
    return spec


def dashboard_panel(template, context, *, order=50):
    _parts.panels.append(Panel(template, context, order))
    _parts.panels.sort(key=lambda panel: panel.order)


def action_labels(labels):
    _parts.labels.update(labels)


def status_colors(colors):
    _parts.colors.update(colors)


def revealable(*model_labels):
    _parts.revealable.update(model_labels)


def navigation(label, url_name, action, target=None, *, icon="circle", order=50):
    _parts.nav.append(NavItem(label, url_name, action, target, icon, order))
    _parts.nav.sort(key=lambda item: item.order)


def search_provider(label, function, *, list_url="", order=50):
    _parts.search.append(SearchProvider(label, function, list_url, order))
    _parts.search.sort(key=lambda provider: provider.order)


# Reading (the core) -------------------------------------------------------------------------


def categories():
    return dict(_parts.categories)


def category_choices():
    """The choices of `AccessRequest.category` (a callable, so migrations do not freeze them)."""
    return [(category.code, category.label) for category in _parts.categories.values()]


def category_of(model_label):
    return _parts.category_of_model.get(model_label)


def region_path(category_code):
    category = _parts.categories.get(category_code)
    return category.region_path if category else ""


def importers():
    return dict(_parts.importers)


def import_kind_choices():
    return [(kind, importer_class.label) for kind, importer_class in _parts.importers.items()]


def exports():
    return dict(_parts.exports)


def panels():
    return list(_parts.panels)


def action_label(action):
    return _parts.labels.get(action, action)


def action_label_choices():
    """(action, label) of every registered audit action, the choices of a filter; in the order of
    the action names, so an app's actions stay together."""
    return sorted(_parts.labels.items())


def status_color(value):
    return _parts.colors.get(value, "secondary")


def is_revealable(model_label):
    return model_label in _parts.revealable


def navigation_items():
    return list(_parts.nav)


def search_providers():
    return list(_parts.search)
