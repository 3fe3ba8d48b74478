"""Build, card and publish the MLLM-as-a-Judge benchmark as a Hugging Face dataset repo."""
