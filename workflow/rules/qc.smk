# ---- qc: library sizes, detected genes, blind-VST PCA, sample correlation ------------------


rule qc:
    input:
        h5ad=rules.import_counts.output.h5ad,
    output:
        stats=report(
            f"{OUT}/qc/library_stats.tsv",
            caption="../report/library_stats.rst",
            category="1. Quality control",
            labels={"table": "library sizes and detected genes"},
        ),
        library_plot=report(
            f"{OUT}/qc/library_sizes.png",
            caption="../report/library_sizes.rst",
            category="1. Quality control",
            labels={"figure": "library sizes"},
        ),
        pca=f"{OUT}/qc/pca.tsv",
        variance=f"{OUT}/qc/pca_variance.tsv",
        pca_plot=report(
            f"{OUT}/qc/pca.png",
            caption="../report/pca.rst",
            category="1. Quality control",
            labels={"figure": "PCA"},
        ),
        correlation=f"{OUT}/qc/sample_correlation.tsv",
        correlation_plot=report(
            f"{OUT}/qc/sample_correlation.png",
            caption="../report/sample_correlation.rst",
            category="1. Quality control",
            labels={"figure": "sample correlation"},
        ),
    log:
        f"{LOGS}/qc.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb_for(2000, 40),
        runtime=runtime_for(10, 0.2),
    params:
        qc=SETTINGS.qc.as_param(),
    script:
        "../scripts/qc.py"
