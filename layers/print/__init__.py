"""Print: map sheets (PNG/SVG/PDF), pitch packs and parcel-check reports with matplotlib."""
