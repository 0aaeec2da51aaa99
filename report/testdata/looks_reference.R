# Reference values for report.TestLooksMatchR (report/looks_test.go), computed in R.
#
# Run from this directory:   Rscript looks_reference.R
#
# A planned experiment (SPEC §3.1): a control and two treatments, posts from three accounts,
# planned_posts_per_variant P = 24, so looks at 6, 12, 18 and 24 posts of each variant. It
# writes
#   looks_posts.csv      id, variant, account, posted_at (posting order), views at the horizon
#   looks_expected.tsv   path <TAB> value for every look of every comparison and the decisions
# Each look compares the first n_k posts of each variant in posting order (ties by id) within
# the accounts with at least 2 posts of each (Welch in one, estimatr::lm_lin with HC2 across
# several), adjusts the p-values across the treatments that reached the look (Holm), and is
# crossed below rpact's nominal level for the look.

suppressPackageStartupMessages({ library(estimatr); library(rpact) })
set.seed(31)
alpha <- 0.05; P <- 24; looks <- 4
effect <- c(control = 0, strong = 1.6, none = 0)
acct_effect <- c(ifrc = 0, redcross = 1.2, jrc = -0.8)
n <- 120
posts <- data.frame(id = sprintf("p%04d", sample.int(9999, n)),
  variant = sample(names(effect), n, replace = TRUE, prob = c(0.34, 0.33, 0.33)),
  account = sample(names(acct_effect), n, replace = TRUE, prob = c(0.5, 0.3, 0.2)),
  stringsAsFactors = FALSE)
posts$posted_at <- as.POSIXct("2026-09-01", tz = "UTC") + sort(sample.int(30 * 86400, n))
posts$posted_at[7] <- posts$posted_at[6] # a tie: broken by id
posts$views <- round(exp(rnorm(n, 6 + effect[posts$variant] + acct_effect[posts$account], 0.6)))
posts <- posts[order(posts$posted_at, posts$id), ]
out <- posts; out$posted_at <- format(posts$posted_at, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
write.csv(out, "looks_posts.csv", row.names = FALSE)

expected <- character(0)
put <- function(path, value) {
  if (is.logical(value)) value <- if (is.na(value)) "NA" else tolower(as.character(value))
  else if (is.numeric(value)) value <- if (is.na(value)) "NA" else sprintf("%.17g", value)
  expected <<- c(expected, paste(path, value, sep = "\t"))
}

# The comparison of SPEC §3.1 on g = log1p(views); NULL when it cannot run.
compare <- function(a, b) {
  paired <- sort(intersect(names(which(table(a$account) >= 2)), names(which(table(b$account) >= 2))))
  a <- a[a$account %in% paired, ]; b <- b[b$account %in% paired, ]
  if (length(paired) == 0) return(NULL)
  if (length(paired) == 1) {
    tt <- t.test(log1p(b$views), log1p(a$views))
    return(list(method = "welch_log", est = unname(tt$estimate[1] - tt$estimate[2]), p = tt$p.value))
  }
  d <- data.frame(g = log1p(c(a$views, b$views)), treat = rep(0:1, c(nrow(a), nrow(b))), account = c(a$account, b$account))
  f <- lm_lin(g ~ treat, covariates = ~ account, data = d, se_type = "HC2", alpha = alpha)
  list(method = "lin_log", est = unname(f$coefficients["treat"]), p = unname(f$p.value["treat"]))
}

design <- getDesignGroupSequential(kMax = looks, alpha = alpha, sided = 2, typeOfDesign = "asOF",
                                   informationRates = (1:looks) / looks)
nominal <- 2 * (1 - pnorm(design$criticalValues))
sizes <- ceiling((1:looks) * P / looks)
arm <- function(v) posts[posts$variant == v, ]
treatments <- c("strong", "none")
decided <- c(strong = NA, none = NA)
for (k in seq_len(looks)) {
  nk <- sizes[k]
  reached <- treatments[sapply(treatments, function(v) nk >= 3 && nrow(arm("control")) >= nk && nrow(arm(v)) >= nk)]
  res <- lapply(reached, function(v) compare(head(arm("control"), nk), head(arm(v), nk)))
  ps <- sapply(res, function(r) if (is.null(r)) NA else r$p)
  padj <- rep(NA, length(ps)); ok <- !is.na(ps)
  padj[ok] <- p.adjust(ps[ok], "holm")
  for (j in seq_along(reached)) {
    v <- reached[j]; base <- sprintf("%s.looks[%d]", v, k); r <- res[[j]]
    put(paste0(base, ".posts_per_variant"), nk)
    put(paste0(base, ".nominal_level"), nominal[k])
    put(paste0(base, ".method"), if (is.null(r)) "none" else r$method)
    put(paste0(base, ".estimate"), if (is.null(r)) NA else r$est)
    put(paste0(base, ".p_unadjusted"), ps[j]); put(paste0(base, ".p_value"), padj[j])
    crossed <- !is.na(padj[j]) && padj[j] < nominal[k]
    put(paste0(base, ".crossed"), crossed)
    if (crossed && is.na(decided[v])) decided[v] <- if (r$est > 0) "better" else "worse"
  }
}
for (v in treatments) {
  put(sprintf("%s.decision", v), if (is.na(decided[v])) "inconclusive" else decided[v])
  put(sprintf("%s.decision_final", v), TRUE)
}
writeLines(expected, "looks_expected.tsv")
