# ---- gsea: preranked GSEA per contrast on the model's statistic ---------------------------


rule gsea:
    input:
        **gsea_inputs(),
        table=f"{OUT}/de/{{contrast}}.tsv",
    output:
        table=report(
            f"{OUT}/gsea/{{contrast}}.tsv",
            caption="../report/gsea_table.rst",
            category="4. Gene-set enrichment",
            subcategory="{contrast}",
            labels={"contrast": "{contrast}", "table": "GSEA"},
        ),
        collections=f"{OUT}/gsea/{{contrast}}.collections.tsv",
        plot=report(
            f"{OUT}/gsea/plots/{{contrast}}.enrichment.png",
            caption="../report/gsea_enrichment.rst",
            category="4. Gene-set enrichment",
            subcategory="{contrast}",
            labels={"contrast": "{contrast}", "figure": "enrichment plots"},
        ),
    log:
        f"{LOGS}/gsea.{{contrast}}.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb_for(1500, 20),
        runtime=runtime_for(15, 0),
    params:
        species=SETTINGS.species,
        gsea=SETTINGS.gsea.as_param(),
        replace_signatures=SETTINGS.gsea.signatures and SETTINGS.scores.replace_bundled,
    script:
        "../scripts/gsea.py"


rule gsea_dotplot:
    input:
        tables=expand(f"{OUT}/gsea/{{contrast}}.tsv", contrast=CONTRASTS),
        collections=expand(
            f"{OUT}/gsea/{{contrast}}.collections.tsv", contrast=CONTRASTS
        ),
    output:
        plot=report(
            f"{OUT}/gsea/nes_dotplot.png",
            caption="../report/gsea_dotplot.rst",
            category="4. Gene-set enrichment",
            labels={"figure": "NES across contrasts"},
        ),
    log:
        f"{LOGS}/gsea_dotplot.log",
    conda:
        "../../envs/tmeseq.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb_for(1000, 10),
        runtime=runtime_for(5, 0),
    params:
        contrasts=CONTRASTS,
        method=SETTINGS.gsea.method,
        permutations=SETTINGS.gsea.permutations,
    script:
        "../scripts/gsea_dotplot.py"
