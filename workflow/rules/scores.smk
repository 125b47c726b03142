from tmeseq.stage_inputs import GeneSetPlan

# ---- check_gene_sets: after the import, before the DE fit, the scores and GSEA must have ----
# something to work on (tmeseq.stage_inputs); de_fit waits for it, so DE never starts when a
# collection matches nothing. Its only input is counts.h5ad: the gene-set files and options
# reach it as objects (params the rerun trigger ignores), so a later edit of a gene-set file
# or a GSEA option reruns the stages that read them, which apply the same check, and never
# the check and, through it, the DE fit.


rule check_gene_sets:
    input:
        h5ad=rules.import_counts.output.h5ad,
    output:
        table=f"{OUT}/qc/gene_set_coverage.tsv",
    log:
        f"{LOGS}/check_gene_sets.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb_for(1000, 30),
        runtime=runtime_for(5, 0.05),
    params:
        plan=GeneSetPlan.from_settings(
            SETTINGS, signatures=SIGNATURES, hallmarks=HALLMARKS
        ),
        model=SETTINGS.de.model,
    script:
        "../scripts/check_gene_sets.py"


# ---- scores: effector genes and TME signatures per sample, compared between arms -----------


rule scores:
    input:
        model=rules.de_fit.output.model,
        signatures=SIGNATURES,
        gene_sets=list(SETTINGS.scores.gene_sets),
    output:
        samples=report(
            f"{OUT}/scores/sample_scores.tsv",
            caption="../report/scores_samples.rst",
            category="3. TME scores",
            labels={"table": "scores per sample"},
        ),
        coverage=f"{OUT}/scores/coverage.tsv",
        tables=[
            report(
                f"{OUT}/scores/{contrast}.tsv",
                caption="../report/scores_table.rst",
                category="3. TME scores",
                subcategory=contrast,
                labels={"contrast": contrast, "table": "scores compared"},
            )
            for contrast in CONTRASTS
        ],
        tme=report(
            f"{OUT}/scores/tme_comparison.tsv",
            caption="../report/scores_tme.rst",
            category="3. TME scores",
            labels={"table": "TME comparison"},
        ),
        boxes=report(
            f"{OUT}/scores/score_boxplots.png",
            caption="../report/scores_boxes.rst",
            category="3. TME scores",
            labels={"figure": "scores by arm"},
        ),
        tme_plot=report(
            f"{OUT}/scores/tme_comparison.png",
            caption="../report/scores_tme.rst",
            category="3. TME scores",
            labels={"figure": "TME comparison"},
        ),
        heatmap=report(
            f"{OUT}/scores/signature_heatmap.png",
            caption="../report/scores_heatmap.rst",
            category="3. TME scores",
            labels={"figure": "signature genes"},
        ),
    log:
        f"{LOGS}/scores.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb_for(1500, 20),
        runtime=runtime_for(10, 0.1),
    params:
        species=SETTINGS.species,
        scores=SETTINGS.scores.as_param(),
        contrasts=[c.as_param() for c in SETTINGS.de.model.contrasts],
        alpha=SETTINGS.de.test.alpha,
    script:
        "../scripts/scores.py"
