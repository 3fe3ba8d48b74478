"""A newcomer's mistakes end in one line naming the problem and the fix, through the real CLIs.

Without our checks lmms-eval exits 0 after a traceback for each of these ("Repo id must be in the form ...",
`RetryError[<Future ...>]` after 95 s offline, an unknown key with no list of the valid ones), so asserting
the exit status and the last line tells our handling apart from lmms-eval's.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import closed_port

from mllm_judge_app.demo import failure_summary
from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF


def lmms_eval(model_args: str, env: dict, cwd: Path, model: str = "mllm_judge_hf") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmms_eval", "--model", model, "--model_args", model_args,
         "--tasks", "mllm_judge_pair", "--limit", "1", "--output_path", str(cwd / "out")],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=cwd, timeout=600, env=env)


def last_line(done: subprocess.CompletedProcess) -> str:
    return [line for line in done.stderr.splitlines() if line.strip()][-1]


def without_dataset(tmp_path: Path, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "MLLM_JUDGE_DATASET"}
    return {**env, "HF_HOME": str(tmp_path / "empty-hf-home"), **extra}


@pytest.mark.parametrize("case", ["missing folder", "dataset offline", "hub unreachable", "mistyped argument"])
def test_each_mistake_ends_in_one_line_with_the_fix(case, tmp_path, mini_repo):
    with_dataset = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo)}
    if case == "missing folder":
        done = lmms_eval(f"pretrained={tmp_path / 'no-such-judge'}", with_dataset, tmp_path)
        expected = f"mllm_judge_hf: checkpoint folder {tmp_path / 'no-such-judge'} does not exist; pretrained= takes"
    elif case == "dataset offline":
        done = lmms_eval(f"pretrained={tmp_path}", without_dataset(tmp_path, HF_HUB_OFFLINE="1"), tmp_path)
        expected = ("mllm_judge_hf: the mllm_judge tasks read dataset mllm-judge/mllm-as-a-judge from the Hub, but the "
                    "Hub is off (HF_HUB_OFFLINE) and it is not cached; set MLLM_JUDGE_DATASET to a built folder: "
                    "`mllm-judge build --mini`")
    elif case == "hub unreachable":
        env = without_dataset(tmp_path, HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
        for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
            env.pop(name, None)
        done = lmms_eval(f"pretrained={tmp_path}", env, tmp_path)
        expected = "mllm_judge_hf: cannot reach the Hub to read dataset mllm-judge/mllm-as-a-judge ("
    else:
        done = lmms_eval(f"pretrained={tmp_path},verdict_mod=constrained", with_dataset, tmp_path)
        expected = "mllm_judge_hf: unknown model_args 'verdict_mod' (did you mean 'verdict_mode'?); valid model_args: "
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert last_line(done).startswith(expected), last_line(done)
    assert "Traceback" not in done.stderr and "\x1b[" not in done.stderr


def test_a_checkpoint_no_reward_layout_fits_ends_in_one_line_with_the_fix(tiny_model, tmp_path, mini_repo):
    done = lmms_eval(f"pretrained={tiny_model('llava')}", {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo)}, tmp_path,
                     model="mllm_judge_rm")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert last_line(done).startswith(f"mllm_judge_rm: {tiny_model('llava')}: not a reward model this backend loads: "
                                      "no value_head.safetensors"), last_line(done)
    assert last_line(done).endswith("write an adapter (README: reward models)")
    assert "Traceback" not in done.stderr


def test_a_mistyped_argument_lists_every_valid_one(tmp_path):
    from mllm_judge_tasks.models.preflight import SetupError

    with pytest.raises(SetupError) as raised:
        MLLMJudgeHF(pretrained=str(tmp_path), batchsize=4, colour="red")
    message = str(raised.value)
    assert "'batchsize' (did you mean 'batch_size'?), 'colour';" in message  # no near key, no guess
    assert message.endswith("valid model_args: " + ", ".join(MLLMJudgeHF.model_args()))
    assert {"pretrained", "verdict_mode", "max_pixels", "batch_size"} <= set(MLLMJudgeHF.model_args())


def test_a_folder_without_a_config_is_not_a_checkpoint(tmp_path):
    from mllm_judge_tasks.models.preflight import SetupError

    with pytest.raises(SetupError, match=r"has no config.json; pretrained= takes a folder written by save_pretrained"):
        MLLMJudgeHF(pretrained=str(tmp_path))


SHADOW_FILELOCK = '''\
"""filelock as 4.3 ships it, for a test: the real package, but without the private module lmms-eval 0.7.3 imports."""
import importlib.machinery, sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent.parent)
_spec = importlib.machinery.PathFinder.find_spec("filelock", [p for p in sys.path if p and str(Path(p).resolve()) != _here])
__path__ = list(_spec.submodule_search_locations)
exec(compile(Path(_spec.origin).read_text(), _spec.origin, "exec"))
for _name in __all__:  # load what the package loads lazily, while its _api is still there
    getattr(sys.modules[__name__], _name)
sys.modules.pop("filelock._api", None)


class _NoApi:
    """From here on, `import filelock._api` fails as it does with filelock 4.3."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "filelock._api":
            raise ModuleNotFoundError("No module named 'filelock._api'", name=name)


sys.meta_path.insert(0, _NoApi)
'''


def test_the_demo_names_a_broken_dependency_and_the_lock(tmp_path):
    """The filelock 4.3 break, reproduced: the demo's last lines are the error, without colour, and the fix."""
    shadow = tmp_path / "shadow" / "filelock"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(SHADOW_FILELOCK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")]))}
    probe = subprocess.run([sys.executable, "-c", "import filelock; filelock.FileLock; import filelock._api"],
                           capture_output=True, text=True, env=env)
    assert "No module named 'filelock._api'" in probe.stderr  # the shadow reproduces the break, and only it
    done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "demo", "--out", str(tmp_path / "demo")],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1200, env=env)
    assert done.returncode == 1
    log = tmp_path / "demo" / "lmms-eval.log"
    assert done.stderr.splitlines()[-2:] == [
        "mllm-judge demo: the lmms-eval run failed: ModuleNotFoundError: No module named 'filelock._api'",
        "this usually means an installed package is not the tested version: reinstall through the lock, "
        f"`pip install -c locks/main.txt -e .`, then run `mllm-judge demo` again; the whole output is in {log}",
    ]
    assert "\x1b[" not in done.stderr and "\x1b[" in log.read_text()  # the log keeps lmms-eval's output as it was


def test_failure_summary_reads_the_last_error_after_lmms_eval_logs_it():
    output = textwrap.dedent("""\
        \x1b[32m2026-12-02 10:00:00\x1b[0m | \x1b[1mINFO    \x1b[0m | loading
        Traceback (most recent call last):
          File "x.py", line 1, in <module>
        OSError: [Errno 28] No space left on device
        \x1b[31m2026-12-02 10:00:01 | ERROR | __main__:cli_evaluate:614 - Error during evaluation: [Errno 28] No space\x1b[0m
        \x1b[32m2026-12-02 10:00:02\x1b[0m | INFO | done
        """)
    summary = failure_summary(output, 0, Path("log.txt")).splitlines()
    assert summary == ["the lmms-eval run failed: OSError: [Errno 28] No space left on device",
                       "the whole output is in log.txt"]  # not a dependency error: no advice to reinstall
    # Without a traceback, lmms-eval's logged error line, colour codes removed.
    logged = failure_summary(output.replace("OSError:", "OSError"), 0, Path("log.txt")).splitlines()[0]
    assert logged == ("the lmms-eval run failed: 2026-12-02 10:00:01 | ERROR | __main__:cli_evaluate:614 - "
                      "Error during evaluation: [Errno 28] No space")
    # A backend's own setup error exits non-zero with its message last.
    assert failure_summary(output + "mllm_judge_hf: checkpoint folder x does not exist\n", 1, Path("l")).startswith(
        "the lmms-eval run failed: mllm_judge_hf: checkpoint folder x does not exist\n")


def test_a_generation_setting_that_would_not_be_applied_ends_the_run(tiny_model, mini_repo, tmp_path):
    """`top_p` without sampling would be recorded in results.json and the packed metadata, yet change nothing."""
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(tmp_path / "cache.sqlite")}
    done = subprocess.run(
        [sys.executable, "-m", "lmms_eval", "--model", "mllm_judge_hf", "--model_args", f"pretrained={tiny_model('llava')}",
         "--tasks", "mllm_judge_pair", "--limit", "2", "--gen_kwargs", "top_p=0.9", "--output_path", str(tmp_path / "out")],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=tmp_path, timeout=600, env=env)
    assert done.returncode == 1, done.stderr[-2000:]
    assert last_line(done) == ("mllm_judge_hf: top_p and top_k apply only when sampling: set temperature > 0, "
                               "or leave them out")
    assert not list((tmp_path / "out").rglob("*results.json"))


def test_version_names_what_a_bug_report_needs():
    from importlib import metadata

    done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout == (f"mllm-judge {metadata.version('mllm-judge')} (lmms-eval {metadata.version('lmms-eval')}, "
                           f"transformers {metadata.version('transformers')}, torch {metadata.version('torch')}, "
                           f"datasets {metadata.version('datasets')})\n")

