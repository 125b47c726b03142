#!/usr/bin/env bash
# Snakemake runs this in the tmeseq environment right after creating it (`--sdm conda`):
# it installs the tmeseq package, editable, from the checkout whose Snakefile is running
# (workflow/rules/common.smk exports TMESEQ_SOURCE). The dependencies come from
# envs/tmeseq.yaml, hence --no-deps.
set -euo pipefail
: "${TMESEQ_SOURCE:?is not set: create this environment through the tmeseq Snakefile (snakemake --sdm conda), which sets it to the repository}"
python -m pip install --no-deps -e "$TMESEQ_SOURCE"
python -c "import tmeseq"
