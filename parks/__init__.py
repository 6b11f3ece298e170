"""The domain: parks, zones, sites, projects, clusters, plan targets, quota ledger, parcel checks.

Uses `geo/`; knows nothing of Flask or Folium.
"""
