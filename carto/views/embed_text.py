"""The words of an embed in English (``lang=en``), for partner sites that publish in English.

French stays where it is shown (the templates), as the default; this module only holds the English
replacements, by the key the template looks up (``t.key or "Français"``). map.js's words in English
are in web/static/js/words-en.js. Data (activity names, territories, sites) stays in French.
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
    "preset": "Sites limited to",
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
    "soon": "coming soon",
    "all": "all",
    "none": "none",
    "territory": "Territory",
    "all_territories": "All",
    "purchasing": "Responsible purchasing",
    "ess_title": "Organisations",
    "ess_only": "Social and solidarity economy (ESS)",
    "ess_all": "All, including outside the ESS (craftspeople, shops, local authorities…)",
    "ess_others": "Outside the ESS only",
    "siae": "Work integration enterprises (SIAE)",
    "ea": "Disability-friendly enterprises (EA, ESAT)",
    "reserved_verified": "Verified statuses only (document seen, or an official register)",
    # _site_popup.html, _site_actions.html (a map popup)
    "directions": "Directions",
    "to": "to",
    "maps_app": "Open in my maps app",
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

SITES_LAYER_EN = "ESS sites"


def page_words(lang: str) -> dict[str, str]:
    return PAGE_EN if lang == "en" else {}


def levels(lang: str, french: dict[str, str]) -> dict[str, str]:
    return LEVELS_EN if lang == "en" else french
