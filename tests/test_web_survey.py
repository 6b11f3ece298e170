"""Survey and supply imports through the API (a background job with progress) and the CLI:
land staff and admins only; bad input answered 400 (or a failed job) in both languages, with
nothing stored."""

from __future__ import annotations

import io
import time

import pytest
from survey_files import grid, supply_records, write_gbk_shp_zip, write_gpkg

from store import layer_versions as lv
from store import survey as sv


def _upload(client, path, url="/api/survey", **form):
    with open(path, "rb") as f:
        return client.post(url, data={"file": (io.BytesIO(f.read()), path.name), **form},
                           content_type="multipart/form-data")


def _wait(client, job_id, timeout=120):
    """The job's states, polled until it ends."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        response = client.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200
        seen.append(response.get_json())
        if seen[-1]["state"] in ("done", "failed"):
            return seen
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish: {seen[-1]}")


def test_land_staff_import_a_survey_as_a_job_whose_progress_reaches_done(app, sign_in, tmp_path):
    client = sign_in("land_staff")
    response = _upload(client, write_gpkg(grid(12), tmp_path / "dltb.gpkg"), year="2022")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["id"].startswith("survey.") and job["state"] == "running"
    assert response.headers["Location"].endswith(f"/api/jobs/{job['id']}")
    states = _wait(client, job["id"])
    last = states[-1]
    assert last["state"] == "done", last
    assert last["done"] == last["total"] and last["result"] == {"year": 2022, "features": 144}
    assert sv.survey_years(app.config["DATA_DIR"]) == [2022]
    listed = client.get("/api/survey").get_json()
    assert [y["year"] for y in listed["years"]] == [2022] and listed["years"][0]["actor"] == "land_staff"


def test_supply_records_import_through_the_api(app, sign_in, tmp_path):
    client = sign_in("admin")
    response = _upload(client, write_gpkg(supply_records(), tmp_path / "gd.gpkg", "GD"), url="/api/supply")
    assert response.status_code == 202, response.get_json()
    last = _wait(client, response.get_json()["id"])[-1]
    assert last["state"] == "done" and last["result"]["features"] == 6
    assert lv.current_version(app.config["DATA_DIR"], "supply") == last["result"]["version"]


@pytest.mark.parametrize("role, status", [(None, 401), ("viewer", 403), ("planner", 403)])
def test_other_roles_may_not_import(client, sign_in, tmp_path, role, status):
    if role:
        sign_in(role)
    for url in ("/api/survey", "/api/supply"):
        response = _upload(client, write_gpkg(grid(3), tmp_path / "d.gpkg"), url=url)
        assert response.status_code == status
        body = response.get_json()
        assert body["message_zh"] and body["message_en"]


def test_viewers_cannot_read_an_import_job(app, client, sign_in, tmp_path):
    sign_in("land_staff")
    job = _upload(client, write_gpkg(grid(3), tmp_path / "d.gpkg")).get_json()
    _wait(client, job["id"])
    client.get("/auth/logout")
    sign_in("viewer", "v")
    assert client.get(f"/api/jobs/{job['id']}").status_code == 403
    assert client.get("/api/jobs/survey.0123456789abcdef").status_code == 403


@pytest.mark.parametrize("make, code", [
    (lambda g, tmp: write_gpkg(g.drop(columns="DLBM"), tmp / "x.gpkg"), "missing_field"),
    (lambda g, tmp: write_gpkg(g.set_geometry(g.geometry.centroid), tmp / "x.gpkg"), "no_polygons"),
    (lambda g, tmp: write_gpkg(g.translate(yoff=5e6).set_crs(None, allow_override=True), tmp / "x.gpkg"),
     "crs_unknown"),
])
def test_what_a_file_shows_at_once_is_a_400_and_nothing_is_stored(app, sign_in, tmp_path, make, code):
    client = sign_in("land_staff")
    response = _upload(client, make(grid(5), tmp_path))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == code and body["message_zh"] and body["message_en"]
    data = app.config["DATA_DIR"]
    assert sv.survey_years(data) == [] and not list((tmp_path.parent / "data").glob("jobs/*/upload*"))


@pytest.mark.parametrize("break_it, code", [
    (lambda g: g.assign(DLBM=["0101"] * (len(g) - 1) + ["9999"]), "unknown_codes"),
    (lambda g: g.set_geometry(g.geometry.translate(xoff=60.0).where(g.index == 2, g.geometry)), "overlaps"),
    (lambda g: g.set_geometry(g.geometry.translate(yoff=-1_500_000.0)), "outside_henan"),
])
def test_what_streaming_finds_fails_the_job_bilingually_and_nothing_is_stored(app, sign_in, tmp_path,
                                                                              break_it, code):
    client = sign_in("land_staff")
    response = _upload(client, write_gpkg(break_it(grid(6)), tmp_path / "bad.gpkg"))
    assert response.status_code == 202, response.get_json()
    last = _wait(client, response.get_json()["id"])[-1]
    assert last["state"] == "failed" and last["status"] == 400
    assert last["error"]["error"] == code and last["error"]["message_zh"] and last["error"]["message_en"]
    data = app.config["DATA_DIR"]
    assert sv.survey_years(data) == [] and not list((sv.survey_dir(data)).glob("*"))


def test_the_command_line_imports_with_progress_and_refuses_bad_files(app, runner, tmp_path):
    ok = runner.invoke(args=["survey", "import", str(write_gbk_shp_zip(grid(4), tmp_path / "shp")),
                             "--year", "2021"])
    assert ok.exit_code == 0, ok.output
    assert "2021: 16 patches / 图斑" in ok.output and "DLTB dltb.zip" in ok.output
    listed = runner.invoke(args=["survey", "list"])
    assert listed.output.startswith("2021\t16\tdltb.zip")
    bad = runner.invoke(args=["survey", "import", str(write_gpkg(grid(3).drop(columns="DLBM"),
                                                                 tmp_path / "b.gpkg"))])
    assert bad.exit_code == 2 and "DLBM" in bad.output and "没有地类编码字段" in bad.output
    supply_file = write_gpkg(supply_records(), tmp_path / "s.gpkg")
    supplied = runner.invoke(args=["supply", "import", str(supply_file)])
    assert supplied.exit_code == 0, supplied.output
    assert "6 records / 条供地记录" in supplied.output
