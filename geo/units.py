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
