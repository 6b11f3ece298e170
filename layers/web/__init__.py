"""Web maps: Folium maps of the overview, views, park pages, verdicts and import previews."""
