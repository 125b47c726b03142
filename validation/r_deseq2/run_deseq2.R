#!/usr/bin/env Rscript
# Run R DESeq2 (DESeq + results) on one count table and write the results and every
# intermediate that tmeseq's DE layer is compared against.
#
# Usage:
#   Rscript run_deseq2.R --counts=FILE --metadata=FILE --design="~ cell + dex" \
#       --contrast=dex,trt,untrt --alpha=0.05 --out=DIR
#
#   --counts     TSV (optionally .gz): first column gene IDs, then one integer column per sample
#   --metadata   TSV: first column sample IDs (matching the count columns), then covariates;
#                every covariate named in the design is read as a factor, levels sorted
#   --design     design formula, as for DESeq2
#   --contrast   variable,numerator,denominator (as results(contrast = ...))
#   --alpha      significance level for independent filtering (default 0.05)
#   --out        output folder (created)
#
# Written to --out:
#   results.tsv        gene, baseMean, log2FoldChange, lfcSE, stat, pvalue, padj
#   genes.tsv          per-gene intermediates: baseMean, baseVar, allZero, dispGeneEst,
#                      dispGeneIter, dispFit, dispMAP, dispersion, dispOutlier, betaConv,
#                      betaIter, maxCooks, replace, and every coefficient with its SE
#                      (log2 scale, columns beta_<name> and se_<name>)
#   size_factors.tsv   sample, size_factor
#   filter_numrej.tsv  theta, numRej, lowess (independent-filtering curve)
#   summary.json       versions, dispersion-trend coefficients, varLogDispEsts, dispPriorVar,
#                      filterThreshold, filterTheta, Cook's cutoff, counts, timings
#
# The pipeline is DESeq2's default: DESeq(dds) then results(dds, contrast, alpha); no
# pre-filtering, no shrinkage, Wald test with the normal distribution.

suppressPackageStartupMessages({
  library(DESeq2)
  library(jsonlite)
})

parse_args <- function(args) {
  out <- list(alpha = "0.05")
  for (arg in args) {
    if (!grepl("^--[A-Za-z_]+=", arg)) stop("arguments are --key=value, got: ", arg)
    key <- sub("^--([A-Za-z_]+)=.*$", "\\1", arg)
    out[[key]] <- sub("^--[A-Za-z_]+=", "", arg)
  }
  for (key in c("counts", "metadata", "design", "contrast", "out")) {
    if (is.null(out[[key]])) stop("missing --", key, "=...")
  }
  out
}

read_inputs <- function(opts) {
  counts <- read.delim(opts$counts, row.names = 1, check.names = FALSE)
  counts <- as.matrix(counts)
  storage.mode(counts) <- "integer"
  meta <- read.delim(opts$metadata, row.names = 1, check.names = FALSE,
                     colClasses = "character", blank.lines.skip = TRUE)
  meta <- meta[colnames(counts), , drop = FALSE]
  design <- as.formula(opts$design)
  for (v in all.vars(design)) meta[[v]] <- factor(meta[[v]], levels = sort(unique(meta[[v]])))
  list(counts = counts, meta = meta, design = design)
}

write_tsv <- function(df, path) {
  write.table(df, path, sep = "\t", quote = FALSE, row.names = FALSE, na = "NA")
}

gene_table <- function(dds) {
  mc <- mcols(dds)
  keep <- c("baseMean", "baseVar", "allZero", "dispGeneEst", "dispGeneIter", "dispFit",
            "dispMAP", "dispersion", "dispOutlier", "betaConv", "betaIter", "maxCooks",
            "replace")
  keep <- keep[keep %in% names(mc)]
  out <- data.frame(gene = rownames(dds), as.data.frame(mc[, keep, drop = FALSE]),
                    check.names = FALSE)
  for (name in resultsNames(dds)) {
    out[[paste0("beta_", name)]] <- mc[[name]]
    out[[paste0("se_", name)]] <- mc[[paste0("SE_", name)]]
  }
  out
}

main <- function() {
  opts <- parse_args(commandArgs(trailingOnly = TRUE))
  dir.create(opts$out, showWarnings = FALSE, recursive = TRUE)
  inputs <- read_inputs(opts)
  contrast <- strsplit(opts$contrast, ",", fixed = TRUE)[[1]]
  alpha <- as.numeric(opts$alpha)

  started <- proc.time()[["elapsed"]]
  dds <- DESeqDataSetFromMatrix(inputs$counts, inputs$meta, inputs$design)
  dds <- DESeq(dds, quiet = TRUE)
  res <- results(dds, contrast = contrast, alpha = alpha)
  elapsed <- proc.time()[["elapsed"]] - started

  results <- data.frame(gene = rownames(res), as.data.frame(res), check.names = FALSE)
  write_tsv(results, file.path(opts$out, "results.tsv"))
  write_tsv(gene_table(dds), file.path(opts$out, "genes.tsv"))
  write_tsv(data.frame(sample = colnames(dds), size_factor = sizeFactors(dds)),
            file.path(opts$out, "size_factors.tsv"))
  md <- metadata(res)
  if (!is.null(md$filterNumRej)) {
    curve <- md$filterNumRej
    curve$lowess <- md$lo.fit$y
    write_tsv(curve, file.path(opts$out, "filter_numrej.tsv"))
  }

  disp_fn <- dispersionFunction(dds)
  model <- attr(dds, "dispModelMatrix")
  summary <- list(
    deseq2_version = as.character(packageVersion("DESeq2")),
    r_version = R.version.string,
    design = opts$design,
    contrast = contrast,
    alpha = alpha,
    fit_type = attr(disp_fn, "fitType"),
    trend_coefficients = as.list(attr(disp_fn, "coefficients")),
    mean_dispersion = attr(disp_fn, "mean"),
    var_log_disp_ests = attr(disp_fn, "varLogDispEsts"),
    disp_prior_var = attr(disp_fn, "dispPriorVar"),
    filter_threshold = unname(md$filterThreshold),
    filter_theta = md$filterTheta,
    cooks_cutoff = qf(0.99, ncol(model), nrow(model) - ncol(model)),
    n_genes = nrow(dds),
    n_samples = ncol(dds),
    n_padj_below_alpha = sum(res$padj < alpha, na.rm = TRUE),
    seconds = elapsed
  )
  write_json(summary, file.path(opts$out, "summary.json"), auto_unbox = TRUE,
             digits = NA, pretty = TRUE, null = "null", na = "null")
  cat(sprintf("DESeq2 %s: %d genes, %d with padj < %g, %.1f s\n",
              summary$deseq2_version, nrow(res), summary$n_padj_below_alpha, alpha, elapsed))
}

main()
