# ---- report: one self-contained HTML file per cohort, and the run's provenance -------------


rule report:
    input:
        counts=rules.import_counts.output.h5ad,
        model=rules.de_fit.output.model,
        library_stats=rules.qc.output.stats,
        library_plot=rules.qc.output.library_plot,
        pca=rules.qc.output.pca,
        pca_variance=rules.qc.output.variance,
        pca_plot=rules.qc.output.pca_plot,
        correlation_plot=rules.qc.output.correlation_plot,
        de_summary=rules.de_results.output.summary,
        de_tables=rules.de_results.output.tables,
        ma_plots=expand(f"{OUT}/de/plots/{{contrast}}.ma.png", contrast=CONTRASTS),
        sample_scores=rules.scores.output.samples,
        coverage=rules.scores.output.coverage,
        score_tables=rules.scores.output.tables,
        tme=rules.scores.output.tme,
        score_boxes=rules.scores.output.boxes,
        gsea_tables=expand(f"{OUT}/gsea/{{contrast}}.tsv", contrast=CONTRASTS),
        gsea_collections=expand(
            f"{OUT}/gsea/{{contrast}}.collections.tsv", contrast=CONTRASTS
        ),
        enrichment_plots=expand(
            f"{OUT}/gsea/plots/{{contrast}}.enrichment.png", contrast=CONTRASTS
        ),
        nes_dotplot=rules.gsea_dotplot.output.plot,
        signatures=SIGNATURES,
        sources=provenance_sources(),
        results=stage_outputs(),
        template=REPORT_TEMPLATE,
        css=str(REPORT_ASSETS / "report.css"),
        js=str(REPORT_ASSETS / "report.js"),
    output:
        html=f"{OUT}/report.html",
        provenance=f"{OUT}/provenance.json",
    log:
        f"{LOGS}/report.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb_for(1500, 0.5),
        runtime=runtime_for(5, 0.01),
    params:
        config=config,
    script:
        "../scripts/report.py"
