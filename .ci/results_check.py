"""The drift smoke's check: an lmms-eval run wrote results for the score, pair and batch tasks.

lmms-eval exits 0 even when an evaluation crashed, so the results file is the proof; when it is missing,
the run's last error line and the log's last lines are printed (without colour codes).

    python .ci/results_check.py OUTPUT_DIR LOG_FILE
"""

import json
import re
import sys
from pathlib import Path

TASKS = ("mllm_judge_score", "mllm_judge_pair", "mllm_judge_batch")

out, log = Path(sys.argv[1]), Path(sys.argv[2])
files = sorted(out.rglob("*results.json"))
results = json.loads(files[-1].read_text())["results"] if files else {}
missing = [task for task in TASKS if task not in results]
if missing:
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace")) if log.exists() else ""
    errors = [line for line in text.splitlines() if re.search(r"Error|Exception", line)]
    print(f"{out}: no results for {', '.join(missing)}; the run's last error: {errors[-1] if errors else '(none logged)'}",
          file=sys.stderr)
    print("  the log's last lines:", *(f"    {line}" for line in text.splitlines()[-15:]), sep="\n", file=sys.stderr)
    sys.exit(1)
print(f"{out}: results for {', '.join(TASKS)}")
