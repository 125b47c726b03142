# ---- de: one fit of the design (de_fit), every contrast from it (de_results) ---------------


rule de_fit:
    input:
        h5ad=rules.import_counts.output.h5ad,
        # written by rule check_gene_sets (scores.smk): the fit waits for the check
        gene_sets=f"{OUT}/qc/gene_set_coverage.tsv",
    output:
        model=f"{OUT}/de/model.h5ad",
    log:
        f"{LOGS}/de_fit.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 8
    resources:
        mem_mb=mem_mb_for(2000, 60),
        runtime=runtime_for(20, 0.5),
    params:
        model=SETTINGS.de.model.as_param(),
    script:
        "../scripts/de_fit.py"


rule de_results:
    input:
        model=rules.de_fit.output.model,
    output:
        tables=[
            report(
                f"{OUT}/de/{contrast}.tsv",
                caption="../report/de_table.rst",
                category="2. Differential expression",
                subcategory=contrast,
                labels={"contrast": contrast, "table": "DE results"},
            )
            for contrast in CONTRASTS
        ],
        summary=report(
            f"{OUT}/de/summary.tsv",
            caption="../report/de_summary.rst",
            category="2. Differential expression",
            labels={"table": "summary"},
        ),
        workbook=f"{OUT}/de/results.xlsx",
    log:
        f"{LOGS}/de_results.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 8
    resources:
        mem_mb=mem_mb_for(2000, 8),
        runtime=runtime_for(10, 0.2),
    params:
        contrasts=[c.as_param() for c in SETTINGS.de.model.contrasts],
        test=SETTINGS.de.test.as_param(),
    script:
        "../scripts/de_results.py"


rule de_plots:
    input:
        table=f"{OUT}/de/{{contrast}}.tsv",
    output:
        volcano=report(
            f"{OUT}/de/plots/{{contrast}}.volcano.png",
            caption="../report/de_volcano.rst",
            category="2. Differential expression",
            subcategory="{contrast}",
            labels={"contrast": "{contrast}", "figure": "volcano"},
        ),
        ma=report(
            f"{OUT}/de/plots/{{contrast}}.ma.png",
            caption="../report/de_ma.rst",
            category="2. Differential expression",
            subcategory="{contrast}",
            labels={"contrast": "{contrast}", "figure": "MA"},
        ),
        pvalues=report(
            f"{OUT}/de/plots/{{contrast}}.pvalues.png",
            caption="../report/de_pvalues.rst",
            category="2. Differential expression",
            subcategory="{contrast}",
            labels={"contrast": "{contrast}", "figure": "p-value histogram"},
        ),
    log:
        f"{LOGS}/de_plots.{{contrast}}.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb_for(1000, 10),
        runtime=runtime_for(5, 0),
    params:
        alpha=SETTINGS.de.test.alpha,
        n_labels=SETTINGS.de.n_labels,
    script:
        "../scripts/de_plots.py"


rule de_dispersions:
    input:
        model=rules.de_fit.output.model,
    output:
        plot=report(
            f"{OUT}/de/dispersions.png",
            caption="../report/de_dispersions.rst",
            category="2. Differential expression",
            labels={"figure": "dispersion estimates"},
        ),
    log:
        f"{LOGS}/de_dispersions.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb_for(1000, 4),
        runtime=runtime_for(5, 0),
    script:
        "../scripts/de_dispersions.py"
