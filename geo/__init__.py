"""Pure geometry: CRS detection and transforms, areas, vector file reading, validation, GCJ-02.

Imports nothing of ours; everything above (`parks/`, `layers/`, the web) relies on it.
"""
