"""Turns domain data into maps: styles, legends, Folium maps, static renders for export."""
