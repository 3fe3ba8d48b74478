"""How lmms-eval finds our tasks and models after `pip install`, with no path to type.

lmms-eval 0.7.3 indexes tasks only from its own folder and `--include_path`,
and it builds its TaskManager before it reads `LMMS_EVAL_PLUGINS`, so that
variable alone never reaches tasks. What it does do at start-up, before any
TaskManager exists, is load every `lmms_eval.models` entry point. Ours is
`lmms_eval_models` below: besides the model manifests it returns, it adds this
package's task folder to every TaskManager's search paths. `--include_path`
keeps working (our folder is appended to whatever the user passes), and
`LMMS_EVAL_PLUGINS=mllm_judge_tasks` also works (`mllm_judge_tasks.models`
defines `AVAILABLE_MODELS`, which that route requires).
"""

from __future__ import annotations

from mllm_judge_tasks.tasks import TASKS_DIR


def add_tasks_to_lmms_eval() -> None:
    """Make every lmms-eval TaskManager also index `mllm_judge_tasks/tasks` (idempotent)."""
    from lmms_eval.tasks import TaskManager

    original = TaskManager.initialize_tasks
    if getattr(original, "adds_mllm_judge_tasks", False):
        return

    def initialize_tasks(self, include_path=None, include_defaults=True):
        paths = [] if include_path is None else [include_path] if isinstance(include_path, str) else list(include_path)
        if str(TASKS_DIR) not in map(str, paths):
            paths.append(str(TASKS_DIR))
        return original(self, include_path=paths, include_defaults=include_defaults)

    initialize_tasks.adds_mllm_judge_tasks = True
    TaskManager.initialize_tasks = initialize_tasks


def register_aggregations() -> None:
    """Our aggregations under lmms-eval names (`aggregation: mllm_judge_pair_details` in any YAML)."""
    from lmms_eval.api.registry import AGGREGATION_REGISTRY

    from mllm_judge_tasks.tasks import hooks

    named = {
        "mllm_judge_score_pearson": hooks.score_pearson,
        "mllm_judge_pair_accuracy_no_tie": hooks.pair_accuracy_no_tie,
        "mllm_judge_batch_edit_distance": hooks.batch_edit_distance,
        "mllm_judge_parse_rate": hooks.parse_rate,
        "mllm_judge_score_details": hooks.score_details,
        "mllm_judge_pair_details": hooks.pair_details,
        "mllm_judge_batch_details": hooks.batch_details,
    }
    for name, function in named.items():
        AGGREGATION_REGISTRY.setdefault(name, function)


def lmms_eval_models() -> list:
    """Entry point of group `lmms_eval.models`: registers our tasks and aggregations, returns our model manifests."""
    from lmms_eval.models.registry_v2 import ModelManifest

    from mllm_judge_tasks.models import AVAILABLE_MODELS

    add_tasks_to_lmms_eval()
    register_aggregations()
    return [
        ModelManifest(model_id=name, chat_class_path=f"mllm_judge_tasks.models.{name}.{class_name}")
        for name, class_name in AVAILABLE_MODELS.items()
    ]
