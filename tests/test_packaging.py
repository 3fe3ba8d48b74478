"""A non-editable install ships every package: setup.cfg lists packages by hand, and a missed one breaks only there."""

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_is_listed_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("mllm_judge_tasks", "dataset_scripts")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk and on_disk <= listed, sorted(on_disk - listed)
