"""The `mllm-judge` command and its demo: the application over the dataset builder and the harness plugin.

It lives above both `dataset_scripts` (which builds the dataset with the
protocol of `mllm_judge_tasks`) and `mllm_judge_tasks` (tasks, backends,
metrics, leaderboard), so imports run one way: `mllm_judge_app` →
`dataset_scripts` → `mllm_judge_tasks`. Not `mllm_judge/`: lmms-eval reads a
`--tasks` name that is also a folder as a path, so from a clone's root
`--tasks mllm_judge` would find no task.
"""
