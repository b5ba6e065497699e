"""Presentation: what the pages show (view models in French), folium maps and the icons, with no HTTP."""
