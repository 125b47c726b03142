# ---- import: counts + sample sheet + annotation -> validated AnnData -----------------------


rule import_counts:
    input:
        **counts_inputs(),
    output:
        h5ad=f"{OUT}/counts.h5ad",
    log:
        f"{LOGS}/import_counts.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb_for(1000, 20),
        runtime=runtime_for(10, 0.1),
    params:
        counts=SETTINGS.counts.as_param(),
        species=SETTINGS.species,
    script:
        "../scripts/import_counts.py"
