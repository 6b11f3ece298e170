"""A real package: the wheel carries the code, the templates, our static files and the shipped
data; an app made from it in a fresh venv, run from outside the checkout, serves the map, reads
the shipped layers in place and writes runtime data only to its instance folder.

The wheel is built offline from a copy of the checkout (``pip wheel --no-deps
--no-build-isolation``, ~2 s) and installed into a venv made without pip; that venv reaches this
environment's dependencies through a path line in a ``.pth`` file, which puts them after the
wheel's own files and runs no ``.pth`` of this environment (so not its editable install).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import matplotlib
import pytest
from fixtures_files import make_geojson, parcels_gdf

from core.shipped import PACKAGE

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
#: never part of a build: version control, environments, runtime data, build output, caches
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "instance", "build", "dist", "*.egg-info",
                                     "__pycache__", ".*_cache", ".hypothesis", "node_modules")


def _shipped_files() -> list[str]:
    """The checkout's files a wheel must carry under ``henan_sei_atlas_files/``."""
    patterns = ("templates/**/*.html", "static/favicon.svg", "static/css/*", "static/js/*",
                "static/vendor/**/*", "data/sources/*", "data/shapefiles/*")
    return sorted({p.relative_to(ROOT).as_posix() for pattern in patterns for p in ROOT.glob(pattern)
                   if p.is_file()})


def _code_files() -> list[str]:
    """Every module of every package at the checkout's root, and app.py."""
    packages = [p.parent for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests"]
    return ["app.py"] + sorted(p.relative_to(ROOT).as_posix() for pkg in packages
                               for p in pkg.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout (a build writes build/ and *.egg-info)."""
    tmp = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, tmp / "src", ignore=NOT_SOURCES)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(tmp / "dist"), str(tmp / "src")], check=True)
    return next((tmp / "dist").glob("henan_sei_atlas-*.whl"))


def test_the_wheel_carries_code_templates_static_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [f for f in _code_files() if f not in names] == []
    assert [f for f in _shipped_files() if f"{PACKAGE}/{f}" not in names] == []
    assert {"templates/base.html", "static/css/atlas.css", "data/sources/plan_targets.csv",
            "data/shapefiles/parks.shp"} <= set(_shipped_files())
    assert [n for n in names if n.startswith(("tests/", "instance/", f"{PACKAGE}/data/layers/"))
            or n.endswith((".db", ".pyc"))] == []


#: run by the fresh venv's Python, from a folder outside the checkout
SERVE = r"""
import importlib, json, re, sys
from pathlib import Path
from flask import Flask
from app import create_app

app = create_app()
client = app.test_client()
page = client.get("/")
html = page.get_data(as_text=True)
assets = sorted(set(re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"?#]+)', html)))
catalog = app.extensions["atlas_catalog"]
print(json.dumps({
    "prefix": sys.prefix,
    "modules": {m: importlib.import_module(m).__file__
                for m in ("app", "core", "geo", "store", "parks", "layers", "web")},
    "templates": str(Path(app.root_path, app.template_folder)), "static": app.static_folder,
    "status": page.status_code, "html": html,
    "assets": {a: client.get(a).status_code for a in assets},
    "data_dir": app.config["DATA_DIR"], "instance": app.instance_path,
    "default_instance": Flask("app").instance_path,
    "paths": {name: str(catalog.path(name)) for name in ("parks", "zones", "boundary_city")},
    "parks": [f["properties"]["name_zh"] for f in client.get("/api/layers/parks").json["features"]],
}))
"""


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (not editable), seeing this environment's dependencies."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return env


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def test_the_installed_app_serves_the_map_from_outside_the_checkout(venv, tmp_path):
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    shipped_before = _tree(site / PACKAGE)
    instance = tmp_path / "instance"
    drop_ins = instance / "data" / "shapefiles"
    drop_ins.mkdir(parents=True)
    parks = parcels_gdf(2, names=["甲园区", "乙园区"]).rename(
        columns={"name": "园区名称", "code": "园区代码", "area_ha": "面积(公顷)"})
    make_geojson(drop_ins, parks, name="parks.geojson")  # picked up at start-up
    (tmp_path / "serve.py").write_text(SERVE, encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "SEI_ATLAS_INSTANCE_PATH": str(instance), "SEI_ATLAS_REQUEST_LOG": "",
           "MPLCONFIGDIR": matplotlib.get_cachedir()}  # this machine's converted PDF font, reused
    done = subprocess.run([str(python), "serve.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout)

    assert all(Path(f).is_relative_to(site) for f in r["modules"].values()), r["modules"]
    assert Path(r["templates"]) == site / PACKAGE / "templates"
    assert Path(r["static"]) == site / PACKAGE / "static"
    assert r["status"] == 200
    assert 'class="atlas-map"' in r["html"] and "folium-map" in r["html"]
    assert "/static/css/atlas.css" in r["assets"]
    assert any(a.startswith("/vendor/leaflet/") for a in r["assets"])
    assert {a: s for a, s in r["assets"].items() if s != 200} == {}

    # runtime data in the instance folder; the shipped layers read in place, never written
    assert Path(r["instance"]) == instance and Path(r["data_dir"]) == instance / "data"
    assert (instance / "atlas.db").is_file()
    assert Path(r["paths"]["parks"]).is_relative_to(instance / "data" / "layers")  # the drop-in
    assert r["parks"] == ["甲园区", "乙园区"]
    assert Path(r["paths"]["zones"]) == site / PACKAGE / "data" / "shapefiles" / "zones.shp"
    assert Path(r["paths"]["boundary_city"]).is_relative_to(site / PACKAGE)
    assert _tree(site / PACKAGE) == shipped_before
    # without SEI_ATLAS_INSTANCE_PATH, Flask's default for an installed module: <venv>/var/app-instance
    assert Path(r["default_instance"]) == Path(r["prefix"]) / "var" / "app-instance"


def test_the_console_script_starts_outside_the_checkout(venv, tmp_path):
    done = subprocess.run([str(venv / "bin" / "sei-atlas"), "--version"], cwd=tmp_path, capture_output=True,
                          text=True, env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
                          timeout=60)
    assert done.returncode == 0 and "Flask" in done.stdout, done.stderr[-2000:]


def test_a_checkout_keeps_runtime_data_in_the_instance_folder(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("SEI_ATLAS_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("SEI_ATLAS_DATA_DIR", "SEI_ATLAS_DATABASE_URL", "SEI_ATLAS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    try:
        assert app.config["DATA_DIR"] == str(tmp_path / "instance" / "data")
        assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'atlas.db'}"
        assert Path(app.template_folder) == ROOT / "templates" and Path(app.static_folder) == ROOT / "static"
        assert app.extensions["atlas_catalog"].path("parks") == ROOT / "data" / "shapefiles" / "parks.shp"
        assert app.test_client().get("/").status_code == 200
    finally:
        app.extensions["atlas_db"].dispose()
