package stats

// ChiSquareGOF is Pearson's chi-square goodness-of-fit test that counts
// follow planned shares, used to check that posts were allocated to
// variants as planned (sample ratio mismatch):
//
//	chisq.test(counts, p = weights, rescale.p = TRUE)
//
// With N = Σcounts and E_i = N·w_i/Σw,  X² = Σ(counts_i − E_i)²/E_i,  df = k − 1.
//
// It needs 2 categories or more; counts must be zero or more with a positive
// total, and weights positive.
func ChiSquareGOF(counts, weights []float64) (ChiSquare, error) {
	if len(counts) != len(weights) {
		return ChiSquare{}, insufficient("cannot check the allocation because there are %d counts but %d planned shares", len(counts), len(weights))
	}
	if len(counts) < 2 {
		return ChiSquare{}, insufficient("cannot check the allocation because there are fewer than 2 variants")
	}
	var n, sw float64
	for i := range counts {
		if !allFinite(counts[i], weights[i]) {
			return ChiSquare{}, insufficient("cannot check the allocation because a count or planned share is missing or infinite")
		}
		if counts[i] < 0 {
			return ChiSquare{}, insufficient("cannot check the allocation because a count is negative")
		}
		if !(weights[i] > 0) {
			return ChiSquare{}, insufficient("cannot check the allocation because a variant's planned share is not above zero")
		}
		n += counts[i]
		sw += weights[i]
	}
	if !(n > 0) {
		return ChiSquare{}, insufficient("cannot check the allocation because there are no posts yet")
	}
	var x2 float64
	for i := range counts {
		e := n * (weights[i] / sw)
		d := counts[i] - e
		x2 += d * d / e
	}
	return chiSquareResult(x2, float64(len(counts)-1))
}

// ChiSquareIndependence is Pearson's chi-square test of independence of the
// rows and columns of a contingency table, e.g. weekday × variant post
// counts, to warn when variants were posted on different days:
//
//	chisq.test(table, correct = FALSE)
//
// With row totals r_i, column totals c_j and N in all, E_ij = r_i·c_j/N,
// X² = Σ(o_ij − E_ij)²/E_ij, df = (rows − 1)(columns − 1).
//
// Rows and columns whose total is zero (a weekday with no posts) carry no
// information and are left out, where R would answer NaN. At least 2 rows
// and 2 columns with posts must remain; counts must be zero or more, and the
// rows of equal length.
func ChiSquareIndependence(table [][]float64) (ChiSquare, error) {
	if len(table) == 0 {
		return ChiSquare{}, insufficient("cannot check for imbalance because the table is empty")
	}
	cols := len(table[0])
	rowSum := make([]float64, len(table))
	colSum := make([]float64, cols)
	var n float64
	for i, row := range table {
		if len(row) != cols {
			return ChiSquare{}, insufficient("cannot check for imbalance because the table's rows have different lengths")
		}
		for j, v := range row {
			if !allFinite(v) || v < 0 {
				return ChiSquare{}, insufficient("cannot check for imbalance because a count is negative, missing or infinite")
			}
			rowSum[i] += v
			colSum[j] += v
			n += v
		}
	}
	rows, usedCols := countPositive(rowSum), countPositive(colSum)
	if rows < 2 || usedCols < 2 {
		return ChiSquare{}, insufficient("cannot check for imbalance because the posts fall in fewer than 2 rows or 2 columns")
	}
	var x2 float64
	for i, row := range table {
		for j, v := range row {
			if rowSum[i] == 0 || colSum[j] == 0 {
				continue
			}
			e := rowSum[i] * (colSum[j] / n)
			d := v - e
			x2 += d * d / e
		}
	}
	return chiSquareResult(x2, float64((rows-1)*(usedCols-1)))
}

func countPositive(xs []float64) int {
	k := 0
	for _, x := range xs {
		if x > 0 {
			k++
		}
	}
	return k
}

func chiSquareResult(x2, df float64) (ChiSquare, error) {
	if !allFinite(x2) {
		return ChiSquare{}, errTooLarge
	}
	return ChiSquare{Statistic: x2, DF: df, PValue: chiSqUpper(x2, df)}, nil
}
