# Recomputes R's answers for the lin, gs_design and power_gs cases of
# stats-cases.json from their inputs, with the R expressions of the
# specification, and prints them as JSON in the file's format
# ({"cases": [{"id", "method", "input", "expected"}]}). On stderr it says,
# per case, the largest relative difference from the file's "expected".
#
#   Rscript stats/testdata/reference_new.R                 # the file's cases
#   Rscript stats/testdata/reference_new.R --edge          # lin-edge-cases.json
#   Rscript stats/testdata/reference_new.R --gs-grid       # gs-design-grid.json
#
# --edge prints the cases of lin-edge-cases.json instead: Lin's estimator
# with a single account, where lm_lin stops and the answer is
# lm_robust(g ~ treat, se_type = "HC2"), with 2 posts per account and
# variant (the least Lin takes), and on uneven accounts on the identity
# scale. --gs-grid prints gs_design for looks 1 to 10 at alphas from 0.0001
# to 0.49 (rpact takes alpha below 0.5 only).
#
# Needs R 4.2 with jsonlite, estimatr and rpact (Debian: r-base-core,
# r-cran-jsonlite, r-cran-estimatr, r-cran-rpact).

suppressMessages({
  library(jsonlite)
  library(estimatr)
  library(rpact)
})

args <- commandArgs(trailingOnly = TRUE)
here <- local({
  file <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))
  if (length(file) == 1) dirname(file) else "stats/testdata"
})

lin_expected <- function(input) {
  g <- if (identical(input$transform, "identity")) input$values else log1p(input$values)
  d <- data.frame(g = g, treat = input$treatment, account = input$account)
  fit <- if (length(unique(d$account)) > 1) {
    lm_lin(g ~ treat, covariates = ~account, data = d, se_type = "HC2", alpha = input$alpha)
  } else {
    lm_robust(g ~ treat, data = d, se_type = "HC2", alpha = input$alpha)
  }
  row <- tidy(fit)
  row <- row[row$term == "treat", ]
  list(estimate = row$estimate, se = row$std.error, statistic = row$statistic,
       df = row$df, p_value = row$p.value, ci_low = row$conf.low, ci_high = row$conf.high)
}

gs_design <- function(alpha, looks) {
  getDesignGroupSequential(kMax = looks, alpha = alpha, sided = 2, typeOfDesign = "asOF",
                           informationRates = (1:looks) / looks)
}

gs_expected <- function(input) {
  d <- gs_design(input$alpha, input$looks)
  list(critical_values = I(d$criticalValues),
       nominal_levels = I(2 * (1 - pnorm(d$criticalValues))),
       inflation = getDesignCharacteristics(d)$inflationFactor)
}

power_gs_expected <- function(input) {
  a <- input$alpha / input$comparisons
  n_fixed <- power.t.test(delta = log(1 + input$mde), sd = input$sd, sig.level = a,
                          power = input$power)$n
  inflation <- getDesignCharacteristics(gs_design(a, input$looks))$inflationFactor
  list(n_fixed = n_fixed, inflation = inflation, n = ceiling(n_fixed * inflation))
}

recompute <- list(lin = lin_expected, gs_design = gs_expected, power_gs = power_gs_expected)

edge_cases <- function() {
  set.seed(20261130)
  views <- function(n, mu) round(exp(rnorm(n, mu, 1.2)))
  # One account: lm_lin stops (a factor with one level), and Lin is
  # lm_robust(g ~ treat, se_type = "HC2").
  single <- list(
    values = c(views(9, 7), views(12, 7.4)),
    treatment = c(rep(0, 9), rep(1, 12)),
    account = rep("ifrc", 21),
    transform = "log1p", alpha = 0.05)
  # The smallest data Lin takes: 2 posts per account and variant.
  smallest <- list(
    values = c(views(2, 7), views(2, 7.5), views(2, 9), views(2, 9.1)),
    treatment = c(0, 0, 1, 1, 0, 0, 1, 1),
    account = c(rep("a", 4), rep("b", 4)),
    transform = "log1p", alpha = 0.05)
  # Uneven accounts and allocation, identity scale (a rate).
  uneven <- list(
    values = round(c(runif(30, 0.01, 0.08), runif(6, 0.02, 0.12), runif(9, 0.05, 0.2)), 4),
    treatment = c(rep(0, 25), rep(1, 5), rep(0, 2), rep(1, 4), rep(0, 6), rep(1, 3)),
    account = c(rep("kenyaredcross", 30), rep("ifrc", 6), rep("cruzrojachile", 9)),
    transform = "identity", alpha = 0.1)
  list(
    list(id = "lin_single_account", method = "lin", input = single),
    list(id = "lin_two_per_cell", method = "lin", input = smallest),
    list(id = "lin_uneven_identity", method = "lin", input = uneven))
}

gs_grid_cases <- function() {
  grid <- expand.grid(looks = 1:10, alpha = c(1e-4, 0.001, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.49))
  lapply(seq_len(nrow(grid)), function(i) {
    a <- grid$alpha[i]; k <- grid$looks[i]
    list(id = sprintf("gs_design_a%g_k%d", a, k), method = "gs_design", input = list(alpha = a, looks = k))
  })
}

if ("--edge" %in% args) {
  cases <- edge_cases()
} else if ("--gs-grid" %in% args) {
  cases <- gs_grid_cases()
} else {
  file <- fromJSON(file.path(here, "stats-cases.json"), simplifyVector = FALSE)
  cases <- Filter(function(c) c$method %in% names(recompute), file$cases)
}

out <- lapply(cases, function(c) {
  input <- lapply(c$input, function(v) if (is.list(v)) unlist(v) else v)
  expected <- recompute[[c$method]](input)
  if (!is.null(c$expected)) {
    diff <- max(mapply(function(got, want) max(abs(unlist(got) - unlist(want)) / pmax(abs(unlist(want)), 1e-300)),
                       expected[names(c$expected)], c$expected))
    message(sprintf("%-22s largest relative difference from the file: %.3g", c$id, diff))
  }
  list(id = c$id, method = c$method, input = c$input, expected = expected)
})

cat(toJSON(list(cases = out), auto_unbox = TRUE, digits = NA, pretty = TRUE), "\n")
