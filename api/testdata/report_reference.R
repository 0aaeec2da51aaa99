# Reference values for the report test (api/report_test.go), computed independently in R.
#
# Run from this directory:   Rscript report_reference.R
#
# It writes
#   report_posts.csv      the synthetic experiment's posts (3 variants, 3 accounts)
#   report_snapshots.csv  their snapshots: on both sides of the horizon, exactly at it, on one
#                         side only (within the tolerance or not), none; metrics unknown in
#                         some snapshots; posts too young to have reached the horizon
#   report_expected.tsv   path <TAB> value: what GET /v1/experiments/{id}/report must answer
#
# The report is asked at "now" = 2026-10-01T12:00:00Z with the experiment's settings:
# horizon 24 h, tolerance 0.25, alpha 0.05, Holm, mde 0.2, factors hashtags and format.
# The comparisons follow SPEC §3.1 (outcome per post, paired accounts, Welch or Lin's estimator
# by estimatr::lm_lin, posts_needed by power_gs with rpact's inflation). The experiment is
# created with planned_posts_per_variant P = 24: each comparison has 4 looks at the first
# ceiling(k P / 4) posts of each variant, crossed against rpact's nominal levels, and these
# decide. The lines under "unplanned." are the same experiment with its plan removed, as a row
# migrated from before plans has none: it is decided as before plans, warning "unplanned".
# The permutation p-value and chance_to_be_best are Monte Carlo estimates: the test compares
# them within a stated absolute tolerance.
suppressPackageStartupMessages({ library(estimatr); library(rpact) })

set.seed(20260914)
now <- as.POSIXct("2026-10-01 12:00:00", tz = "UTC")
H <- 24; tol <- 0.25; alpha <- 0.05; mde <- 0.2
P <- 24 # planned_posts_per_variant

variants <- data.frame(
  key = c("control", "climate-action", "photo"),
  name = c("Video #ForClimate", "Video #ClimateAction", "Photo #ForClimate"),
  hashtags = c("ForClimate", "ClimateAction", "ForClimate"),
  format = c("video", "video", "photo"),
  weight = c(0.4, 0.3, 0.3),
  effect = c(0, 0.8, -0.15),
  like_rate = c(0.05, 0.06, 0.04),
  stringsAsFactors = FALSE)
accounts <- data.frame(
  account = c("ifrc", "redcross_us", "jrc_japan"),
  timezone = c("Europe/Zurich", "America/New_York", "Asia/Tokyo"),
  effect = c(0, 0.5, -0.4),
  stringsAsFactors = FALSE)

# ---- posts ------------------------------------------------------------------------------
n_old <- 78; n_young <- 6
kinds <- c(rep("both", 30), rep("exact", 12), rep("near_before", 10), rep("late", 10),
           rep("unobserved_late", 5), rep("unobserved_early", 5), rep("none", 3),
           rep("both", 3))
stopifnot(length(kinds) == n_old)
posts <- data.frame(
  external_id = sprintf("7300%06d", seq_len(n_old + n_young)),
  variant_key = sample(variants$key, n_old + n_young, replace = TRUE, prob = variants$weight),
  account = sample(accounts$account, n_old + n_young, replace = TRUE),
  kind = c(sample(kinds), rep("young", n_young)),
  stringsAsFactors = FALSE)
# Old posts go out over September (whole seconds), young ones in the last 23 hours.
start <- as.POSIXct("2026-09-01 00:00:00", tz = "UTC")
old_at <- start + round(runif(n_old, 0, 28 * 86400))
young_at <- now - round(runif(n_young, 1, 23) * 3600)
posts$posted_at <- c(old_at, young_at)
# One young post is 22.5 hours old with a snapshot at 19 hours: within the tolerance, it counts.
posts$kind[n_old + 1] <- "young_near"
posts$posted_at[n_old + 1] <- now - 22.5 * 3600
posts$timezone <- accounts$timezone[match(posts$account, accounts$account)]
posts$draft <- 0
posts$draft[1:2] <- 1 # logged while the experiment was a draft

v <- match(posts$variant_key, variants$key)
a <- match(posts$account, accounts$account)
final_views <- exp(rnorm(nrow(posts), 8 + variants$effect[v] + accounts$effect[a], 0.6))
# One viral post, far above the rest of its variant.
viral <- which(posts$variant_key == "photo" & posts$kind == "both")[1]
final_views[viral] <- final_views[viral] * 2000

# ---- snapshots --------------------------------------------------------------------------
ages_for <- function(kind) {
  jitter <- function(x) x + round(runif(length(x), -0.4, 0.4), 3) # hours, to the millisecond
  switch(kind,
    both = c(jitter(3), jitter(18), jitter(30), jitter(50)),
    exact = c(jitter(6), 24, jitter(48)),
    near_before = c(jitter(2), 20 + round(runif(1, 0, 1), 3)),
    late = c(27 + round(runif(1, 0, 2), 3), jitter(45)),
    unobserved_late = c(jitter(40), jitter(60)),
    unobserved_early = c(jitter(4)),
    none = numeric(0),
    young = c(jitter(2)),
    young_near = c(jitter(3), 19))
}
snaps <- list()
for (i in seq_len(nrow(posts))) {
  ages <- ages_for(posts$kind[i])
  ages <- ages[posts$posted_at[i] + ages * 3600 <= now]
  if (!length(ages)) next
  grow <- 1 - exp(-ages / 12)
  views <- round(final_views[i] * grow)
  likes <- round(views * variants$like_rate[v[i]] * exp(rnorm(1, 0, 0.3)))
  comments <- round(likes * 0.1)
  shares <- round(likes * 0.2 * exp(rnorm(1, 0, 0.2)))
  saves <- round(likes * 0.05)
  completion <- round(plogis(rnorm(length(ages), 0.2 * (v[i] == 2) - 0.5, 0.4)), 4)
  s <- data.frame(external_id = posts$external_id[i],
                  observed_at = posts$posted_at[i] + round(ages * 3600, 3),
                  views = views, likes = likes, comments = comments, shares = shares, saves = saves,
                  completion_rate = completion)
  # Likes and the rest are unknown in the first snapshots: engagements bracket differently.
  if (posts$kind[i] == "both") s[2, c("likes", "comments", "shares", "saves")] <- NA
  if (posts$kind[i] == "near_before" && i %% 2 == 0) s[2, c("likes", "comments", "shares", "saves")] <- NA
  s$completion_rate[ages < 12] <- NA
  snaps[[length(snaps) + 1]] <- s
}
snaps <- do.call(rbind, snaps)

fmt_time <- function(t) sub("\\.?0+Z$", "Z", format(t, "%Y-%m-%dT%H:%M:%OS3Z", tz = "UTC"))
out_posts <- posts[, c("external_id", "variant_key", "account", "timezone", "draft")]
out_posts$posted_at <- fmt_time(posts$posted_at)
write.csv(out_posts, "report_posts.csv", row.names = FALSE, na = "")
out_snaps <- snaps
out_snaps$observed_at <- fmt_time(snaps$observed_at)
write.csv(out_snaps, "report_snapshots.csv", row.names = FALSE, na = "")
# Read the times back as written, so that R works on exactly the instants the API stores.
snaps$observed_at <- as.POSIXct(out_snaps$observed_at, format = "%Y-%m-%dT%H:%M:%OSZ", tz = "UTC")

# ---- the horizon rule (SPEC §1) ---------------------------------------------------------
value_at <- function(age, val) {
  k <- !is.na(val); age <- age[k]; val <- val[k]
  lo <- which(age <= H); hi <- which(age >= H)
  if (length(lo) && length(hi)) {
    i <- lo[which.max(age[lo])]; j <- hi[which.min(age[hi])]
    if (age[i] == age[j]) return(val[i])
    return(val[i] + (val[j] - val[i]) * (H - age[i]) / (age[j] - age[i]))
  }
  if (length(lo)) { i <- lo[which.max(age[lo])]; if (abs(age[i] - H) <= tol * H) return(val[i]) }
  if (length(hi)) { j <- hi[which.min(age[hi])]; if (abs(age[j] - H) <= tol * H) return(val[j]) }
  NA
}
latest <- function(age, val) {
  k <- !is.na(val)
  if (!any(k)) return(c(NA, NA))
  i <- which(k)[which.max(age[k])]
  c(val[i], age[i])
}
snaps$engagements <- snaps$likes + snaps$comments + snaps$shares + snaps$saves
at_h <- function(col) sapply(seq_len(nrow(posts)), function(i) {
  s <- snaps[snaps$external_id == posts$external_id[i], ]
  if (!nrow(s)) return(NA)
  value_at(as.numeric(difftime(s$observed_at, posts$posted_at[i], units = "hours")), s[[col]])
})
posts$views <- at_h("views")
posts$engagements <- at_h("engagements")
posts$completion <- at_h("completion_rate")
posts$immature <- as.numeric(difftime(now, posts$posted_at, units = "hours")) < H
lat <- t(sapply(seq_len(nrow(posts)), function(i) {
  s <- snaps[snaps$external_id == posts$external_id[i], ]
  if (!nrow(s)) return(c(NA, NA))
  latest(as.numeric(difftime(s$observed_at, posts$posted_at[i], units = "hours")), s$views)
}))
posts$latest_views <- lat[, 1]; posts$latest_age <- lat[, 2]

# ---- output -----------------------------------------------------------------------------
expected <- character(0)
put <- function(path, value) {
  if (is.logical(value)) value <- if (is.na(value)) "NA" else tolower(as.character(value))
  else if (is.numeric(value)) value <- if (is.na(value)) "NA" else sprintf("%.17g", value)
  expected <<- c(expected, paste(path, value, sep = "\t"))
}
presence <- function(path, present) put(path, if (present) "present" else "absent")

ctrl <- variants$key[1]
treatments <- variants$key[-1]
weekday <- function(p) as.POSIXlt(p$posted_at, tz = p$timezone)$wday

# Descriptives shared by every metric; x is the per-post value, NA when left out.
describe <- function(m, x, ratio = NULL, count = FALSE) {
  for (k in variants$key) {
    p <- posts$variant_key == k
    ok <- p & !is.na(x)
    base <- sprintf("metrics[%s].variants[%s]", m, k)
    put(paste0(base, ".n_posts"), sum(ok))
    put(paste0(base, ".n_immature"), sum(p & is.na(x) & posts$immature))
    put(paste0(base, ".n_unobserved"), sum(p & is.na(x) & !posts$immature))
    y <- if (is.null(ratio)) x[ok] else { r <- ratio$num[ok] / ratio$den[ok]; r[ratio$den[ok] > 0] }
    put(paste0(base, ".mean"), mean(y)); put(paste0(base, ".median"), median(y)); put(paste0(base, ".sd"), sd(y))
    if (count) put(paste0(base, ".geo_mean"), exp(mean(log1p(y))) - 1)
    if (!is.null(ratio)) put(paste0(base, ".rate"), sum(ratio$num[ok]) / sum(ratio$den[ok]))
  }
}
decide <- function(padj, est) if (padj < alpha && est > 0) "better" else if (padj < alpha && est < 0) "worse" else "inconclusive"

# SPEC §3.1's comparison of a treatment with the control on the outcome g: within the accounts
# with at least 2 posts of each variant, Welch in one, lm_lin (HC2) across several. kind is
# "count" (g = log1p(y)), "ratio" or "mean" (g as given).
compare31 <- function(ga, acct_a, gb, acct_b, kind) {
  paired <- sort(intersect(names(which(table(acct_a) >= 2)), names(which(table(acct_b) >= 2))))
  ia <- acct_a %in% paired; ib <- acct_b %in% paired
  a <- ga[ia]; b <- gb[ib]
  d <- data.frame(g = c(a, b), treat = c(rep(0, length(a)), rep(1, length(b))), account = c(acct_a[ia], acct_b[ib]))
  scale <- c(count = "log", ratio = "rate", mean = "raw")[[kind]]
  r <- list(n_excluded = sum(!ia) + sum(!ib), n_a = length(a), n_b = length(b))
  if (length(paired) == 1) {
    tt <- t.test(b, a)
    r$method <- paste0("welch_", scale); r$est <- unname(tt$estimate[1] - tt$estimate[2])
    r$ci <- tt$conf.int; r$stat <- unname(tt$statistic); r$df <- unname(tt$parameter); r$p <- tt$p.value
    ma <- mean(a); mb <- mean(b)
    r$lift <- mb / ma - 1; lse <- sqrt(var(b) / (length(b) * ma^2) + mb^2 * var(a) / (length(a) * ma^4))
    r$lift_ci <- r$lift + c(-1, 1) * qt(1 - alpha / 2, r$df) * lse
    r$sd <- sigma(lm(g ~ factor(treat), data = d))
  } else {
    f <- lm_lin(g ~ treat, covariates = ~ account, data = d, se_type = "HC2", alpha = alpha)
    r$method <- paste0("lin_", scale); r$est <- unname(f$coefficients["treat"])
    r$ci <- c(f$conf.low["treat"], f$conf.high["treat"]); r$stat <- unname(f$statistic["treat"])
    r$df <- unname(f$df["treat"]); r$p <- unname(f$p.value["treat"])
    r$lift <- r$est / mean(a); r$lift_ci <- sort(r$ci / mean(a))
    r$sd <- sigma(lm(g ~ factor(treat) + account, data = d))
  }
  if (kind == "count") { r$lift <- exp(r$est) - 1; r$lift_ci <- exp(r$ci) - 1 }
  r
}
put31 <- function(base, r, padj, dec) {
  put(paste0(base, ".method"), r$method); put(paste0(base, ".n_excluded"), r$n_excluded)
  put(paste0(base, ".estimate"), r$est); put(paste0(base, ".ci_low"), r$ci[1]); put(paste0(base, ".ci_high"), r$ci[2])
  put(paste0(base, ".lift"), r$lift); put(paste0(base, ".lift_ci_low"), r$lift_ci[1]); put(paste0(base, ".lift_ci_high"), r$lift_ci[2])
  put(paste0(base, ".statistic"), r$stat); put(paste0(base, ".df"), r$df)
  put(paste0(base, ".p_value"), r$p); put(paste0(base, ".p_adjusted"), padj)
  put(paste0(base, ".decision"), dec$decision); put(paste0(base, ".decision_final"), dec$final)
  put(paste0(base, ".planned_posts_per_variant"), P)
  # Without a plan: decided on all posts, never final.
  put(paste0("unplanned.", base, ".decision"), decide(padj, r$est)); put(paste0("unplanned.", base, ".decision_final"), FALSE)
  put(paste0("unplanned.", base, ".planned_posts_per_variant"), NA)
}

# SPEC §3.1's looks at the treatments of metric m: look k compares the first n_k = ceiling(k P / 4)
# posts with a value of the control and of each treatment that has as many, in posted_at order;
# the p-values of the treatments that reached the look are adjusted together (Holm, leaving out
# those whose comparison cannot run), and a look is crossed below rpact's nominal level for look k.
# ctl and each of trts are data frames of g, account and at (posted_at). Returns each treatment's
# decision and whether it is final.
gs_design <- getDesignGroupSequential(kMax = 4, alpha = alpha, sided = 2, typeOfDesign = "asOF", informationRates = (1:4) / 4)
nominal <- 2 * (1 - pnorm(gs_design$criticalValues))
looks31 <- function(m, ctl, trts, kind) {
  byTime <- function(d) { stopifnot(!anyDuplicated(d$at)); d[order(d$at), ] }
  ctl <- byTime(ctl); trts <- lapply(trts, byTime)
  dec <- lapply(trts, function(d) list(decision = "inconclusive", final = FALSE))
  for (k in 1:4) {
    nk <- ceiling(k * P / 4)
    reached <- if (nk >= 3 && nrow(ctl) >= nk) which(sapply(trts, nrow) >= nk) else integer(0)
    for (i in setdiff(seq_along(trts), reached)) presence(sprintf("metrics[%s].comparisons[%s].looks[%d]", m, treatments[i], k), FALSE)
    if (!length(reached)) next
    rs <- lapply(reached, function(i) tryCatch(
      compare31(ctl$g[1:nk], ctl$account[1:nk], trts[[i]]$g[1:nk], trts[[i]]$account[1:nk], kind),
      error = function(e) NULL))
    p <- sapply(rs, function(r) if (is.null(r) || !is.finite(r$p)) NA else r$p)
    padj <- p.adjust(p, "holm")
    for (j in seq_along(reached)) {
      i <- reached[j]
      base <- sprintf("metrics[%s].comparisons[%s].looks[%d]", m, treatments[i], k)
      crossed <- !is.na(padj[j]) && padj[j] < nominal[k]
      put(paste0(base, ".posts_per_variant"), nk); put(paste0(base, ".nominal_level"), nominal[k])
      put(paste0(base, ".p_unadjusted"), p[j]); put(paste0(base, ".p_value"), padj[j]); put(paste0(base, ".crossed"), crossed)
      if (!is.null(rs[[j]])) { put(paste0(base, ".estimate"), rs[[j]]$est); put(paste0(base, ".method"), rs[[j]]$method) }
      if (crossed && !dec[[i]]$final) dec[[i]] <- list(decision = if (rs[[j]]$est > 0) "better" else "worse", final = TRUE)
      if (k == 4) dec[[i]]$final <- TRUE
    }
  }
  dec
}
# power_gs: each of the 2 treatments against the control at alpha / 2, over 4 looks.
gs_inflation <- getDesignCharacteristics(getDesignGroupSequential(kMax = 4, alpha = alpha / 2, sided = 2,
  typeOfDesign = "asOF", informationRates = (1:4) / 4))$inflationFactor
power_gs <- function(sd) ceiling(power.t.test(delta = log(1 + mde), sd = sd, sig.level = alpha / 2, power = 0.8)$n * gs_inflation)
bayes <- function(mu, sigma) { z <- mu / sigma; c(pnorm(z), sigma * dnorm(z) - mu * pnorm(-z)) }
ctb <- function(m, means, ses) {
  draws <- 1e6
  sims <- sapply(seq_along(means), function(i) rnorm(draws, means[i], ses[i]))
  best <- table(factor(max.col(sims, ties.method = "first"), levels = seq_along(means))) / draws
  for (i in seq_along(means)) put(sprintf("metrics[%s].chance_to_be_best.%s", m, variants$key[i]), as.numeric(best[i]))
}

# views: lin_log (three accounts) and its companions.
m <- "views"; x <- posts$views
describe(m, x, count = TRUE)
g <- function(k) x[posts$variant_key == k & !is.na(x)]
acct <- function(k) posts$account[posts$variant_key == k & !is.na(x)]
at <- function(k) posts$posted_at[posts$variant_key == k & !is.na(x)]
a <- g(ctrl)
cmps <- lapply(treatments, function(k) compare31(log1p(a), acct(ctrl), log1p(g(k)), acct(k), "count"))
padj <- p.adjust(sapply(cmps, `[[`, "p"), "holm")
view_decisions <- looks31(m, data.frame(g = log1p(a), account = acct(ctrl), at = at(ctrl)),
  lapply(treatments, function(k) data.frame(g = log1p(g(k)), account = acct(k), at = at(k))), "count")
unpaired <- FALSE; disagree <- FALSE
for (i in seq_along(treatments)) {
  k <- treatments[i]; b <- g(k); cm <- cmps[[i]]
  base <- sprintf("metrics[%s].comparisons[%s]", m, k)
  put31(base, cm, padj[i], view_decisions[[i]])
  put(paste0(base, ".exploratory"), FALSE)
  unpaired <- unpaired || cm$n_excluded > 0
  est <- mean(log1p(b)) - mean(log1p(a))
  bs <- bayes(est, sqrt(var(log1p(a)) / length(a) + var(log1p(b)) / length(b)))
  put(paste0(base, ".chance_to_beat"), bs[1]); put(paste0(base, ".expected_loss"), bs[2])
  w <- wilcox.test(b, a, exact = FALSE, correct = TRUE)
  put(paste0(base, ".mann_whitney.statistic"), unname(w$statistic))
  put(paste0(base, ".mann_whitney.p_value"), w$p.value)
  put(paste0(base, ".mann_whitney.hl_shift"), median(outer(b, a, "-")))
  put(paste0(base, ".mann_whitney.prob_superiority"), unname(w$statistic) / (length(a) * length(b)))
  # Permutation within accounts, B = 200,000.
  vals <- log1p(c(a, b)); lab <- c(rep(FALSE, length(a)), rep(TRUE, length(b))); st <- c(acct(ctrl), acct(k))
  obs <- mean(vals[lab]) - mean(vals[!lab])
  B <- 200000; hits <- 0
  idx <- split(seq_along(vals), st)
  for (r in seq_len(B)) {
    l <- lab
    for (ix in idx) if (length(ix) > 1) l[ix] <- l[ix][sample.int(length(ix))]
    if (abs(mean(vals[l]) - mean(vals[!l])) >= abs(obs) - 1e-9 * max(1, abs(obs))) hits <- hits + 1
  }
  put(paste0(base, ".permutation.p_value"), (1 + hits) / (B + 1))
  # Per account, then DerSimonian–Laird.
  ests <- c(); ses <- c()
  for (ac in sort(accounts$account)) {
    aa <- a[acct(ctrl) == ac]; bb <- b[acct(k) == ac]
    put(sprintf("%s.by_account[%s].n_control", base, ac), length(aa))
    put(sprintf("%s.by_account[%s].n_treatment", base, ac), length(bb))
    t2 <- t.test(log1p(bb), log1p(aa))
    e2 <- unname(t2$estimate[1] - t2$estimate[2])
    put(sprintf("%s.by_account[%s].estimate", base, ac), e2); put(sprintf("%s.by_account[%s].se", base, ac), t2$stderr)
    ests <- c(ests, e2); ses <- c(ses, t2$stderr)
  }
  wi <- 1 / ses^2; fixed <- sum(wi * ests) / sum(wi); Q <- sum(wi * (ests - fixed)^2); df <- length(ests) - 1
  tau2 <- max(0, (Q - df) / (sum(wi) - sum(wi^2) / sum(wi)))
  ws <- 1 / (ses^2 + tau2); mu <- sum(ws * ests) / sum(ws); se <- 1 / sqrt(sum(ws))
  put(paste0(base, ".pooled.estimate"), mu); put(paste0(base, ".pooled.se"), se)
  put(paste0(base, ".pooled.ci_low"), mu - qnorm(1 - alpha / 2) * se); put(paste0(base, ".pooled.ci_high"), mu + qnorm(1 - alpha / 2) * se)
  put(paste0(base, ".pooled.p_value"), 2 * pnorm(-abs(mu / se))); put(paste0(base, ".pooled.tau2"), tau2)
  put(paste0(base, ".pooled.i2"), if (Q > 0) max(0, (Q - df) / Q) else 0)
  disagree <- disagree || pchisq(Q, df, lower.tail = FALSE) < 0.10
  put(paste0(base, ".posts_needed"), if (cm$n_a >= 3 && cm$n_b >= 3) power_gs(cm$sd) else NA)
}
grp <- factor(posts$variant_key[!is.na(x)], levels = variants$key)
kw <- kruskal.test(x[!is.na(x)], grp)
put("metrics[views].omnibus.kruskal.statistic", unname(kw$statistic)); put("metrics[views].omnibus.kruskal.df", unname(kw$parameter))
put("metrics[views].omnibus.kruskal.p_value", kw$p.value)
ow <- oneway.test(log1p(y) ~ g, data = data.frame(y = x[!is.na(x)], g = grp), var.equal = FALSE)
put("metrics[views].omnibus.welch_anova.statistic", unname(ow$statistic))
put("metrics[views].omnibus.welch_anova.df1", unname(ow$parameter[1])); put("metrics[views].omnibus.welch_anova.df2", unname(ow$parameter[2]))
put("metrics[views].omnibus.welch_anova.p_value", ow$p.value)
ctb("views", sapply(variants$key, function(k) mean(log1p(g(k)))),
    sapply(variants$key, function(k) sd(log1p(g(k))) / sqrt(length(g(k)))))
d <- data.frame(y = log1p(x), v = posts$variant_key, account = posts$account)[!is.na(x), ]
d$hashtags <- relevel(factor(variants$hashtags[match(d$v, variants$key)]), ref = "ForClimate")
d$format <- relevel(factor(variants$format[match(d$v, variants$key)]), ref = "video")
fit <- lm(y ~ hashtags + format + account, data = d)
co <- summary(fit)$coefficients
dr <- drop1(fit, test = "F")
for (f in c("hashtags", "format")) {
  base <- sprintf("metrics[views].factors[%s]", f)
  put(paste0(base, ".f_statistic"), dr[f, "F value"]); put(paste0(base, ".df"), dr[f, "Df"]); put(paste0(base, ".p_value"), dr[f, "Pr(>F)"])
  put(paste0(base, ".df_residual"), fit$df.residual)
  for (lv in setdiff(levels(d[[f]]), levels(d[[f]])[1])) {
    term <- paste0(f, lv)
    put(sprintf("%s.levels[%s].estimate", base, lv), co[term, 1]); put(sprintf("%s.levels[%s].se", base, lv), co[term, 2])
    put(sprintf("%s.levels[%s].p_value", base, lv), co[term, 4]); put(sprintf("%s.levels[%s].lift", base, lv), exp(co[term, 1]) - 1)
  }
}
presence("metrics[views].warnings[immature_posts]", any(is.na(x) & posts$immature))
presence("metrics[views].warnings[unobserved_posts]", any(is.na(x) & !posts$immature))
presence("metrics[views].warnings[draft_posts]", any(posts$draft == 1))
presence("metrics[views].warnings[too_few_posts]", FALSE)
wk <- sapply(which(!is.na(x)), function(i) weekday(posts[i, ]))
wct <- suppressWarnings(chisq.test(table(wk, posts$variant_key[!is.na(x)]), correct = FALSE))
presence("metrics[views].warnings[weekday_imbalance]", wct$p.value < 0.01)
outlier <- FALSE
for (k in variants$key) {
  l <- log1p(g(k)); q <- quantile(l, c(0.25, 0.75), type = 7)
  if (length(l) >= 4 && any(l > q[2] + 3 * (q[2] - q[1]))) outlier <- TRUE
}
presence("metrics[views].warnings[outliers]", outlier)
presence("metrics[views].warnings[unplanned]", FALSE)
presence("unplanned.metrics[views].warnings[unplanned]", TRUE)
presence("metrics[views].warnings[account_unpaired]", unpaired)
presence("metrics[views].warnings[accounts_disagree]", disagree)
presence("metrics[views].warnings[what_if]", FALSE)

# engagement_rate: ratio_delta on engagements / views, each at the horizon by its own snapshots.
m <- "engagement_rate"
ok_r <- !is.na(posts$engagements) & !is.na(posts$views)
x <- ifelse(ok_r, posts$engagements / posts$views, NA)
x[ok_r & posts$views == 0] <- NaN
describe(m, ifelse(ok_r, 1, NA), list(num = posts$engagements, den = posts$views))
side <- function(k) { p <- posts$variant_key == k & ok_r; list(u = posts$engagements[p], v = posts$views[p]) }
rd <- function(s) { r <- sum(s$u) / sum(s$v); n <- length(s$u)
  V <- (var(s$u) - 2 * r * cov(s$u, s$v) + r^2 * var(s$v)) / (n * mean(s$v)^2); c(r, V, n) }
A <- rd(side(ctrl))
res <- lapply(treatments, function(k) {
  B <- rd(side(k)); est <- B[1] - A[1]; se <- sqrt(A[2] + B[2])
  df <- (A[2] + B[2])^2 / (A[2]^2 / (A[3] - 1) + B[2]^2 / (B[3] - 1))
  list(B = B, est = est, se = se, df = df, t = est / se, p = 2 * pt(-abs(est / se), df))
})
# The test is on each post's own rate (posts with views above 0 at the horizon), lin_rate.
rate_of <- function(k) { s <- side(k); keep <- s$v > 0; s$u[keep] / s$v[keep] }
racct <- function(k) posts$account[posts$variant_key == k & ok_r & posts$views > 0]
rat <- function(k) posts$posted_at[posts$variant_key == k & ok_r & posts$views > 0]
cmps <- lapply(treatments, function(k) compare31(rate_of(ctrl), racct(ctrl), rate_of(k), racct(k), "ratio"))
padj <- p.adjust(sapply(cmps, `[[`, "p"), "holm")
decisions <- looks31(m, data.frame(g = rate_of(ctrl), account = racct(ctrl), at = rat(ctrl)),
  lapply(treatments, function(k) data.frame(g = rate_of(k), account = racct(k), at = rat(k))), "ratio")
for (i in seq_along(treatments)) {
  k <- treatments[i]; r <- res[[i]]
  base <- sprintf("metrics[%s].comparisons[%s]", m, k)
  put31(base, cmps[[i]], padj[i], decisions[[i]])
  put(paste0(base, ".exploratory"), TRUE)
  bs <- bayes(r$est, r$se); put(paste0(base, ".chance_to_beat"), bs[1]); put(paste0(base, ".expected_loss"), bs[2])
  put(paste0(base, ".posts_needed"), NA)
}
for (k in variants$key) put(sprintf("metrics[%s].variants[%s].n_no_rate", m, k), sum(posts$variant_key == k & ok_r & posts$views == 0))
ctb(m, sapply(variants$key, function(k) rd(side(k))[1]), sapply(variants$key, function(k) sqrt(rd(side(k))[2])))

# completion_rate: lin_raw on the value.
m <- "completion_rate"; x <- posts$completion
describe(m, x)
a <- g(ctrl)
cmps <- lapply(treatments, function(k) compare31(a, acct(ctrl), g(k), acct(k), "mean"))
padj <- p.adjust(sapply(cmps, `[[`, "p"), "holm")
decisions <- looks31(m, data.frame(g = a, account = acct(ctrl), at = at(ctrl)),
  lapply(treatments, function(k) data.frame(g = g(k), account = acct(k), at = at(k))), "mean")
for (i in seq_along(treatments)) {
  k <- treatments[i]; b <- g(k); tt <- t.test(b, a)
  base <- sprintf("metrics[%s].comparisons[%s]", m, k)
  put31(base, cmps[[i]], padj[i], decisions[[i]])
  put(paste0(base, ".exploratory"), TRUE)
  bs <- bayes(unname(tt$estimate[1] - tt$estimate[2]), tt$stderr)
  put(paste0(base, ".chance_to_beat"), bs[1]); put(paste0(base, ".expected_loss"), bs[2])
  put(paste0(base, ".posts_needed"), NA)
}
ctb(m, sapply(variants$key, function(k) mean(g(k))), sapply(variants$key, function(k) sd(g(k)) / sqrt(length(g(k)))))

# Allocation: every post logged, against the planned weights.
counts <- table(factor(posts$variant_key, levels = variants$key))
ch <- chisq.test(as.numeric(counts), p = variants$weight)
for (k in variants$key) {
  put(sprintf("allocation.counts.%s", k), as.numeric(counts[k]))
  put(sprintf("allocation.expected_weights.%s", k), variants$weight[variants$key == k])
}
put("allocation.chisq.statistic", unname(ch$statistic)); put("allocation.chisq.df", unname(ch$parameter))
put("allocation.chisq.p_value", ch$p.value); put("allocation.mismatch", ch$p.value < 0.001)

# Recommendation on views, the primary metric: the treatment that did better with the largest
# lift on all posts; "better" decided by the looks, and for the unplanned experiment as before plans.
va <- posts$views[posts$variant_key == ctrl & !is.na(posts$views)]
vacct <- posts$account[posts$variant_key == ctrl & !is.na(posts$views)]
vc <- lapply(treatments, function(k) compare31(log1p(va), vacct, log1p(posts$views[posts$variant_key == k & !is.na(posts$views)]),
                                               posts$account[posts$variant_key == k & !is.na(posts$views)], "count"))
vp <- p.adjust(sapply(vc, `[[`, "p"), "holm")
vb <- sapply(vc, `[[`, "lift"); names(vb) <- treatments
recommend <- function(better) if (length(better)) better[which.max(vb[better])] else "NA"
put("recommendation.variant_key", recommend(treatments[sapply(view_decisions, `[[`, "decision") == "better"]))
put("unplanned.recommendation.variant_key", recommend(treatments[vp < alpha & vb > 0]))
put("what_if", FALSE)
put("planned_posts_per_variant", P)
put("unplanned.planned_posts_per_variant", NA)

# horizon=latest: each post's latest snapshot with views.
for (k in variants$key) {
  p <- posts$variant_key == k
  y <- posts$latest_views[p & !is.na(posts$latest_views)]
  put(sprintf("latest.metrics[views].variants[%s].n_posts", k), length(y))
  put(sprintf("latest.metrics[views].variants[%s].n_unobserved", k), sum(p & is.na(posts$latest_views)))
  put(sprintf("latest.metrics[views].variants[%s].mean", k), mean(y))
}
presence("latest.metrics[views].warnings[unequal_ages]", TRUE)

writeLines(expected, "report_expected.tsv")
