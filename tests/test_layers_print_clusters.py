"""A layer too big to print feature by feature is printed as counted clusters, the way the map's
tiles show it, with a note and a legend entry saying so (and fictional data watermarked)."""

from __future__ import annotations

from benchmarks.synthetic import fictional_points, install_layer
from layers.print import printmap
from layers.print.render import render
from layers.print.sheet import parse_options
from parks.catalog import Catalog


def test_a_big_layer_prints_as_counted_clusters_with_a_note(data_dir, monkeypatch):
    install_layer(data_dir, "projects", fictional_points(Catalog(data_dir), "projects", 600))
    monkeypatch.setattr(printmap, "PRINT_MAX_FEATURES", 100)
    options = parse_options({"scope": "province", "format": "svg", "layers": "projects,boundaries"})
    sheet = render(Catalog(data_dir), options)
    svg = sheet.content.decode()
    assert "clusters-projects" in sheet.gids and "layer-projects" not in sheet.gids
    assert "600 个要素按 8 毫米格网聚合显示" in svg and "聚合，圆内为要素数" in svg
    counts = [int(text.replace(",", "")) for text in _cluster_counts(svg)]
    assert sum(counts) == 600
    assert sheet.metadata["Description"].count("fictional data: yes") == 1


def test_a_small_layer_still_prints_every_feature(data_dir):
    options = parse_options({"scope": "province", "format": "svg", "layers": "projects"})
    sheet = render(Catalog(data_dir), options)
    assert "layer-projects" in sheet.gids and "clusters-projects" not in sheet.gids


def _cluster_counts(svg: str) -> list[str]:
    """The numbers written in the cluster circles (SVG text elements keep their content)."""
    import re

    return re.findall(r'<g id="cluster-count-projects[^"]*">\s*<text[^>]*>([\d,]+)</text>', svg)


def test_a_big_layer_is_never_read_whole_for_a_sheet(data_dir, monkeypatch):
    """A province sheet counts a big layer from its features' envelopes; a sheet of a small
    window reads the few features in it by position and prints each one."""
    install_layer(data_dir, "projects", fictional_points(Catalog(data_dir), "projects", 600))
    monkeypatch.setattr(printmap, "PRINT_MAX_FEATURES", 100)
    monkeypatch.setattr("parks.catalog.BIG_LAYER_FEATURES", 100)
    catalog = Catalog(data_dir)
    read_whole = []
    layer = catalog.layer
    monkeypatch.setattr(catalog, "layer", lambda name, **kw: read_whole.append(name) or layer(name, **kw))
    province = render(catalog, parse_options({"format": "svg", "layers": "projects,boundaries"}))
    assert "clusters-projects" in province.gids and "projects" not in read_whole
    assert "600 个要素按 8 毫米格网聚合显示" in province.content.decode()
    assert province.metadata["Description"].count("fictional data: yes") == 1

    lon, lat = catalog.features("projects", [0]).geometry.iloc[0].coords[0]
    window = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    close = render(catalog, parse_options({"format": "svg", "layers": "projects", "bbox": window}))
    assert "layer-projects" in close.gids and "clusters-projects" not in close.gids
    assert "projects" not in read_whole
