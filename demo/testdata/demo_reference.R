# R's answers for the demo's reports (cmd/postlab/demo_test.go, TestDemoMatchesR).
#
# Inputs, written by the Go generator (go test ./demo -run TestReferenceInputs -update):
#   demo_posts.csv        every post of the demo campaign at 2026-11-30T12:00:00Z, in the order
#                         the demo logs them (seq), with its views at exactly 24 hours, the
#                         horizon (empty for a post younger than that)
#   demo_experiments.csv  each experiment's start and settings
# Run from this directory:   Rscript demo_reference.R
# It writes demo_expected.tsv: experiment <TAB> field <TAB> value, the primary metric's (views)
# comparison as GET /v1/experiments/{key}/report must answer it.
#
# The rules are those of the report (SPEC section 3.1), written out here independently:
#   g = log1p(views at 24 h); paired accounts have 2+ posts of each variant; one paired
#   account: Welch's t test; two or more: estimatr::lm_lin with the accounts as covariates.
#   The plan P = power_gs(sd, mde, alpha, power 0.8, 1 comparison, 4 looks), sd the sd of g of
#   the workspace's posts published before the experiment started when there are 20 or more,
#   else 1.1. Look k uses the first ceiling(k P / 4) posts of each variant (posting order);
#   it is crossed when its p-value is below rpact's nominal level for look k. The first
#   crossed look decides, for good; without one, inconclusive, final once look 4 happened.
# R 4.2 with estimatr 1.0 and rpact 3.3.

suppressPackageStartupMessages({ library(estimatr); library(rpact) })

posts <- read.csv("demo_posts.csv", colClasses = c(external_id = "character"), stringsAsFactors = FALSE)
exps <- read.csv("demo_experiments.csv", stringsAsFactors = FALSE)
posts$posted_at <- as.POSIXct(posts$posted_at, format = "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
exps$started_at <- as.POSIXct(exps$started_at, format = "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
posts$g <- log1p(posts$views_24h)

design <- function(alpha) getDesignGroupSequential(kMax = 4, alpha = alpha, sided = 2,
  typeOfDesign = "asOF", informationRates = (1:4) / 4)

planned <- function(e) {
  earlier <- posts[posts$posted_at < e$started_at & !is.na(posts$g), ]
  sd <- if (nrow(earlier) >= 20) sd(earlier$g) else 1.1
  nf <- power.t.test(delta = log(1 + e$mde), sd = sd, sig.level = e$alpha, power = 0.8)$n
  max(3, ceiling(nf * getDesignCharacteristics(design(e$alpha))$inflationFactor))
}

# compare: the comparison on posts d (control and treatment, each with g), or NULL.
compare <- function(d, alpha) {
  counts <- table(d$account, d$control)
  paired <- rownames(counts)[counts[, "0"] >= 2 & counts[, "1"] >= 2]
  d <- d[d$account %in% paired, ]
  d$treat <- 1 - d$control
  if (length(paired) == 0) return(NULL)
  if (length(paired) == 1) {
    t <- t.test(d$g[d$treat == 1], d$g[d$treat == 0], conf.level = 1 - alpha)
    return(list(estimate = unname(t$estimate[1] - t$estimate[2]), ci_low = t$conf.int[1],
      ci_high = t$conf.int[2], p_value = t$p.value, n_control = sum(d$treat == 0),
      n_treatment = sum(d$treat == 1), method = "welch_log"))
  }
  fit <- lm_lin(g ~ treat, covariates = ~ account, data = d, se_type = "HC2", alpha = alpha)
  r <- tidy(fit)
  r <- r[r$term == "treat", ]
  list(estimate = r$estimate, ci_low = r$conf.low, ci_high = r$conf.high, p_value = r$p.value,
    n_control = sum(d$treat == 0), n_treatment = sum(d$treat == 1), method = "lin_log")
}

out <- data.frame(experiment = character(), field = character(), value = character())
emit <- function(e, field, value) out[nrow(out) + 1, ] <<- list(e, field, format(value, digits = 15))

for (key in c("forclimate-timing", "climate-hashtags")) {
  e <- exps[exps$experiment == key, ]
  d <- posts[posts$experiment == key & !is.na(posts$g), ]
  d <- d[order(d$posted_at, d$seq), ]
  P <- planned(e)
  emit(key, "planned_posts_per_variant", P)

  all <- compare(d, e$alpha)
  emit(key, "method", all$method)
  emit(key, "n_control", all$n_control)
  emit(key, "n_treatment", all$n_treatment)
  for (f in c("estimate", "ci_low", "ci_high", "p_value")) emit(key, f, all[[f]])
  emit(key, "lift", exp(all$estimate) - 1)
  emit(key, "lift_ci_low", exp(all$ci_low) - 1)
  emit(key, "lift_ci_high", exp(all$ci_high) - 1)

  levels <- 2 * (1 - pnorm(design(e$alpha)$criticalValues))
  decision <- NA; looks <- 0
  for (k in 1:4) {
    n <- ceiling(k * P / 4)
    ctl <- d[d$control == 1, ]; trt <- d[d$control == 0, ]
    if (n < 3 || nrow(ctl) < n || nrow(trt) < n) next
    looks <- k
    c <- compare(rbind(head(ctl, n), head(trt, n)), e$alpha)
    p <- if (is.null(c)) NA else c$p_value
    emit(key, sprintf("looks[%d].posts_per_variant", k - 1), n)
    emit(key, sprintf("looks[%d].p_value", k - 1), p)
    emit(key, sprintf("looks[%d].nominal_level", k - 1), levels[k])
    crossed <- !is.na(p) && p < levels[k]
    emit(key, sprintf("looks[%d].crossed", k - 1), tolower(crossed))
    if (crossed && is.na(decision)) decision <- if (c$estimate > 0) "better" else "worse"
  }
  final <- !is.na(decision) || looks == 4
  if (is.na(decision)) decision <- "inconclusive"
  emit(key, "decision", decision)
  emit(key, "decision_final", tolower(final))
}

write.table(out, "demo_expected.tsv", sep = "\t", quote = FALSE, row.names = FALSE, col.names = FALSE)
