"""lmms-eval task definitions: YAML files plus the thin hooks in hooks.py."""

from pathlib import Path

TASKS_DIR = Path(__file__).parent
