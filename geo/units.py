"""Area units used in Chinese land administration."""

M2_PER_HA = 10_000.0
M2_PER_MU = 10_000.0 / 15.0  # 1 亩 = 666.67 m²
M2_PER_KM2 = 1_000_000.0


def m2_to_ha(m2):
    return m2 / M2_PER_HA


def m2_to_mu(m2):
    return m2 / M2_PER_MU


def m2_to_km2(m2):
    return m2 / M2_PER_KM2


def ha_to_mu(ha):
    return ha * M2_PER_HA / M2_PER_MU


def km2_to_ha(km2):
    return km2 * M2_PER_KM2 / M2_PER_HA


#: decimals a land survey reports areas at: m² to 2, 公顷 to 4, 亩 to 2
SURVEY_DIGITS = {"m2": 2, "ha": 4, "mu": 2}


def survey_areas(m2: float) -> dict[str, float]:
    """One area in m², 公顷 and 亩, each rounded as surveys report it (no float noise in files)."""
    return {"m2": round(m2, SURVEY_DIGITS["m2"]), "ha": round(m2_to_ha(m2), SURVEY_DIGITS["ha"]),
            "mu": round(m2_to_mu(m2), SURVEY_DIGITS["mu"])}
