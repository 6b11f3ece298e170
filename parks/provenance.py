"""The basis every value and geometry carries (DESIGN.md, "Data")."""

PLAN = "plan"            # stated in the plan's text
SOURCED = "sourced"      # a published figure, with its source
DERIVED = "derived"      # computed from plan figures by a stated rule
SCHEMATIC = "schematic"  # a footprint drawn to show size, not a surveyed boundary
USER = "user"            # loaded or entered by staff
MEASURED = "measured"    # computed from a land-use survey or land-supply records loaded by staff
NONE = "none"            # no geometry / no figure

BASES = (PLAN, SOURCED, DERIVED, SCHEMATIC, USER, MEASURED)

LABELS = {
    PLAN: ("规划", "plan"),
    SOURCED: ("有出处", "sourced"),
    DERIVED: ("推算", "derived"),
    SCHEMATIC: ("示意", "schematic"),
    USER: ("用户提供", "user"),
    MEASURED: ("实测", "measured"),
    NONE: ("无", "none"),
}

#: coordinate precision classes of `sites.csv`, most to least precise
PRECISIONS = ("site", "district", "city seat", "county seat", "unlocated")

PRECISION_LABELS = {
    "site": ("厂址坐标", "plant coordinate"),
    "district": ("园区/城区位置", "district point"),
    "city seat": ("市驻地（示意位置）", "city seat (approximate)"),
    "county seat": ("县驻地（示意位置）", "county seat (approximate)"),
    "unlocated": ("未定位", "unlocated"),
}


def precision_class(text: str) -> str:
    """Normalise a `precision` cell of sites.csv to one of :data:`PRECISIONS`."""
    t = (text or "").strip().lower()
    for cls in ("site", "district", "county seat", "city seat"):
        if t.startswith(cls):
            return cls
    return "unlocated"
