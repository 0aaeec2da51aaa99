// Package stats holds the statistics behind postlab's reports: pure functions
// on float64 slices, built on gonum, each agreeing with a named R 4.2
// expression to a relative error of 1e-6. It knows nothing of posts, storage
// or HTTP.
//
// Comparisons are always treatment minus control. Every function refuses
// data it cannot analyse (a group with fewer than 2 values, no variation, a
// NaN or infinite value, lists of different lengths, …) with an
// InsufficientDataError whose Reason can be shown to users as it is, and no
// result ever holds NaN or ±Inf. Invalid settings (alpha outside (0, 1), an
// unknown correction) are plain errors. Random methods take a seed and give
// the same answer on every run.
//
// # Methods and their assumptions
//
// Two groups (control a, treatment b):
//
//   - WelchLog: Welch's t test on log1p values, t.test(log1p(b), log1p(a)),
//     the default for counts (views, likes, …). Assumes posts are independent
//     and log1p(values) roughly normal within a group, or groups large enough
//     for the central limit theorem; variances may differ. Lift is the change
//     in the typical (geometric-mean) post.
//   - WelchRaw, WelchRawSummary: Welch's t test on raw values, t.test(b, a),
//     for mean metrics; relative lift by the delta method. Assumes
//     independent posts and enough of them for the means to be near normal;
//     sensitive to outliers in skewed counts.
//   - MannWhitneyU: Wilcoxon rank-sum test, wilcox.test(b, a, exact = FALSE,
//     correct = TRUE), with the Hodges–Lehmann shift. Assumes only
//     independent posts; tests whether one group tends to have larger values.
//   - PermutationTest: difference of mean log1p with labels shuffled within
//     strata (accounts). Assumes posts are exchangeable within a stratum
//     under no effect; the p-value has Monte Carlo error.
//   - RatioDelta: ratio metrics (engagements/views, …) by the delta method with
//     the post as the unit. Assumes independent posts and enough of them for
//     the ratio of means to be near normal.
//   - BayesNormal, BayesFromNormal: chance to beat control and expected loss
//     from a normal posterior of the difference with a flat prior; same
//     assumptions as the Welch test on the same scale.
//   - Lin: Lin's estimator, estimatr::lm_lin(g ~ treat, covariates =
//     ~ account, se_type = "HC2"): the treatment effect adjusted for the
//     account of each post (treatment interacted with centred account
//     dummies), with HC2 errors and t on the residual degrees of freedom.
//     The comparison when two or more accounts posted both variants; it
//     keeps an account's baseline from passing for an effect when variants
//     are spread unevenly over accounts (Simpson's paradox). Assumes
//     independent posts; variances may differ between accounts and arms.
//     Every account needs 2 or more posts of each variant.
//
// Several groups:
//
//   - Kruskal: kruskal.test, does any variant differ (ranks; independent posts).
//   - WelchANOVA: oneway.test(log1p(y) ~ g, var.equal = FALSE), do the mean
//     log1p values differ, allowing unequal variances.
//   - ChanceToBeBest: Monte Carlo over independent normal posteriors.
//   - PAdjust: p.adjust with "holm" (family-wise error) or "BH" (false
//     discovery rate), for several treatments against one control.
//
// Planning, checks and models:
//
//   - PowerT: power.t.test for a two-sample, two-sided t test on the log1p
//     scale: posts per variant to detect a relative lift with given power.
//   - GroupSequential: the boundaries of a two-sided group-sequential test
//     with equally spaced looks and O'Brien–Fleming-type alpha spending
//     (rpact::getDesignGroupSequential(typeOfDesign = "asOF")), with each
//     look's nominal level and the inflation of the sample size, by
//     numerical integration over the looks; memoized. Looking at the data
//     at each of these looks and stopping at the first crossing keeps the
//     chance of a false verdict at alpha. Assumes the look statistics are
//     (near) normal with independent increments, as for t tests on
//     accumulating independent posts.
//   - PowerGS: posts per variant for a group-sequential experiment:
//     PowerT at alpha/comparisons (Bonferroni over the treatments) times
//     GroupSequential's inflation, rounded up.
//   - ChiSquareGOF: chisq.test(counts, p = weights), posts per variant against
//     the planned allocation (sample ratio mismatch). Assumes expected counts
//     of about 5 or more.
//   - ChiSquareIndependence: chisq.test(table, correct = FALSE), e.g. weekday
//     × variant, to warn of imbalance. Same large-count assumption.
//   - MetaDL: DerSimonian–Laird random-effects pooling of per-account
//     estimates. Assumes the estimates independent with known standard
//     errors; with few accounts τ² is imprecise.
//   - OLSFactors: lm(y ~ f1 + f2 + …) with treatment coding and drop1 F tests,
//     the effect of each factor level holding the others fixed. Assumes
//     additive effects (no interactions), independent errors of equal
//     variance, and factors that are not confounded.
//   - Describe, Quantile: R's mean, median, sd, quantile(type = 7) and the
//     geometric mean of counts.
package stats
