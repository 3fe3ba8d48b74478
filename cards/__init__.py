"""Dataset card templates; installed as `dataset_scripts.cards` so they ship with the package."""
