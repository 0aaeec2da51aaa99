# Times R's wilcox.test and kruskal.test on the sizes of the Go benchmarks
# (BenchmarkMannWhitneyU, BenchmarkKruskal): 100 and 100,000 values per
# group of log-normal view counts, 2 groups for wilcox.test and 4 for
# kruskal.test.
#
#   Rscript stats/testdata/bench.R

set.seed(1)
counts <- function(k, n) {
  lapply(seq_len(k) - 1, function(g) round(exp(7 + 0.1 * g + 1.2 * rnorm(n))))
}

# Time per call in ns: elapsed (comparable with go test's ns/op) and CPU
# (user + system), which is steadier on a shared machine.
per_call_ns <- function(expr_fn, reps) {
  expr_fn()  # warm up
  t <- system.time(for (i in seq_len(reps)) expr_fn())
  c(elapsed = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]]) / reps * 1e9
}

for (n in c(100, 1e5)) {
  reps <- if (n <= 1000) 2000 else 20
  g2 <- counts(2, n)
  g4 <- counts(4, n)
  w <- per_call_ns(function() wilcox.test(g2[[2]], g2[[1]], exact = FALSE, correct = TRUE), reps)
  k <- per_call_ns(function() kruskal.test(g4), reps)
  cat(sprintf("wilcox.test  n=%-6d %14.0f ns/call elapsed %14.0f ns/call CPU (%d calls)\n", n, w[["elapsed"]], w[["cpu"]], reps))
  cat(sprintf("kruskal.test n=%-6d %14.0f ns/call elapsed %14.0f ns/call CPU (%d calls)\n", n, k[["elapsed"]], k[["cpu"]], reps))
}
