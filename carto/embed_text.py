"""The words of an embed in English (``lang=en``), for partner sites that publish in English.

French stays where it is shown (templates, map.js), as the default; this module only holds the
English replacements, by the key the template or script looks up (``t.key or "Français"`` in the
templates, ``T.key`` in map.js). Data (activity names, territories, sites) stays in French.
"""

# Templates: the embed's own bar, panel and list, and the shared includes it uses
# (_filters.html, _place_search.html, _list_results.html).
PAGE_EN = {
    # embed chrome
    "skip": "Skip to content",
    "title": "Map of the social and solidarity economy in Brittany",
    "list_title": "Social and solidarity economy sites in Brittany",
    "views": "View",
    "map": "Map",
    "list": "List",
    "filters_toggle": "Filters and search",
    "panel": "Search and filters",
    "propose": "Suggest a site",
    "open_full": "Full map",
    "open_full_list": "Full list",
    "new_tab": "(opens a new tab)",
    "legend": "Legend",
    "preset": "Map limited to",
    "site": "site",
    "sites": "sites",
    "by_name": "in alphabetical order",
    "by_distance": "nearest first from the centre of the map",
    "page_of": "page {page} of {pages}",
    "apply": "Apply filters",
    "show_list": "Show as a list",
    # _place_search.html
    "place_form": "Go to a place",
    "place_label": "Go to a town or a postcode",
    "place_placeholder": "e.g. Quimper, 29000",
    "place_go": "Go",
    "place_results": "Towns found",
    "locate": "Around me",
    # _filters.html
    "filters_form": "Search and filter the sites",
    "search_label": "Search (name, description, town)",
    "search_placeholder": "e.g. bicycle repair",
    "activities": "Activities",
    "all": "all",
    "none": "none",
    "territory": "Territory",
    "all_territories": "All",
    "purchasing": "Responsible purchasing",
    "siae": "Work integration enterprises (SIAE)",
    "ea": "Disability-friendly enterprises (EA, ESAT)",
    # _list_results.html
    "unknown_commune": "Unknown town",
    "distance": "distance:",
    "report": "Report an error or a closure",
    "no_site": "No site matches",
    "on_this_page": "on this page (pages:",
    "first_page": "Back to the first page",
    "pages": "Result pages",
    "previous": "Previous",
    "next": "Next",
    "page": "Page",
}

# Territory levels of the filter form (territory_names.LEVELS in French).
LEVELS_EN = {"pole": "Pôle ESS (ESS hub)", "epci": "Intercommunality (EPCI)", "pays": "Pays (local area)",
             "departement": "Département"}

# map.js: status line, popups, layers, place search.
SCRIPT_EN = {
    "site": "site",
    "sites": "sites",
    "inView": "in view",
    "noSite": "No site in view",
    "noActivity": "No activity selected.",
    "zoomIn": "shown: zoom in to see the others",
    "loadError": "The sites could not be loaded. Please try again in a moment.",
    "details": "See details",
    "detailsOf": "of",
    "layers": "Map layers",
    "poleLayer": "Areas of the pôles ESS",
    "poleTooltip": "Pôle ESS:",
    "poleError": "The areas of the pôles could not be loaded.",
    "centredOn": "Map centred on",
    "searching": "Searching…",
    "noCommune": "No town matches",
    "communesMatch": "towns match",
    "mostPopulous": "(most populous first)",
    "choose": ": choose from the list",
    "orRefine": "or refine the name.",
    "placeError": "The town search failed. Please try again.",
    "noGeolocation": "Your browser does not give your position.",
    "locating": "Finding your position…",
    "here": "Your position",
    "centredOnYou": "Map centred on your position.",
    "geoDenied": "You did not allow access to your position.",
    "geoFailed": "Your position could not be determined.",
}

SITES_LAYER_EN = "ESS sites"


def page_words(lang: str) -> dict[str, str]:
    return PAGE_EN if lang == "en" else {}


def script_words(lang: str) -> dict[str, str]:
    return SCRIPT_EN if lang == "en" else {}


def levels(lang: str, french: dict[str, str]) -> dict[str, str]:
    return LEVELS_EN if lang == "en" else french
