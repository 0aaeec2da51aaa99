package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// PAdjust adjusts p-values for multiple comparisons (several treatments
// against one control), as R's p.adjust:
//
//	"holm": p.adjust(p, "holm")  controls the chance of any false "better"
//	         (family-wise error): with p sorted increasing, p_(i)·(m − i + 1),
//	         made non-decreasing by a running maximum and capped at 1.
//	"bh":   p.adjust(p, "BH")    controls the expected share of false
//	         "better"s (false discovery rate): with p sorted decreasing,
//	         p_(i)·m/i, made non-increasing by a running minimum, capped at 1.
//	"none": p unchanged.
//
// The method name is not case-sensitive ("BH" and "fdr" are accepted for
// "bh"). The result is in the order of p. An empty p gives an empty result.
// Every p-value must lie in [0, 1].
func PAdjust(p []float64, method string) ([]float64, error) {
	for _, v := range p {
		if !(v >= 0 && v <= 1) {
			return nil, insufficient("cannot adjust p-values because one of them is missing or outside 0 to 1")
		}
	}
	out := make([]float64, len(p))
	m := float64(len(p))
	switch strings.ToLower(method) {
	case "none":
		copy(out, p)
	case "holm":
		order := sortedOrder(p, false)
		running := 0.0
		for i, idx := range order {
			running = math.Max(running, (m-float64(i))*p[idx])
			out[idx] = math.Min(1, running)
		}
	case "bh", "fdr":
		order := sortedOrder(p, true)
		running := math.Inf(1)
		for i, idx := range order {
			rank := m - float64(i) // the rank of p[idx] in increasing order
			running = math.Min(running, m/rank*p[idx])
			out[idx] = math.Min(1, running)
		}
	default:
		return nil, fmt.Errorf("stats: unknown p-value correction %q (want holm, bh or none)", method)
	}
	return out, nil
}

// sortedOrder returns the indices of p in increasing (or decreasing) order,
// ties kept in their original order as R's order() does.
func sortedOrder(p []float64, decreasing bool) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		c := cmp.Compare(p[i], p[j])
		if decreasing {
			c = -c
		}
		if c == 0 {
			return cmp.Compare(i, j)
		}
		return c
	})
	return idx
}
