package report

import (
	"testing"
)

func TestThompsonPickFollowsTheProbabilities(t *testing.T) {
	variants := []VariantStats{{Key: "a"}, {Key: "b"}, {Key: "c"}}
	prob := map[string]float64{"a": 0.2, "b": 0.5, "c": 0.3}
	for _, tc := range []struct {
		draw float64
		want string
	}{{0, "a"}, {0.19, "a"}, {0.2, "b"}, {0.69, "b"}, {0.7, "c"}, {0.999, "c"}} {
		if got := thompsonPick(variants, prob, tc.draw); got != tc.want {
			t.Errorf("thompsonPick(draw %v) = %s, want %s", tc.draw, got, tc.want)
		}
	}
	// Over many evenly spread draws each variant is picked in proportion to its chance.
	counts := map[string]int{}
	for i := range 1000 {
		counts[thompsonPick(variants, prob, (float64(i)+0.5)/1000)]++
	}
	if counts["a"] != 200 || counts["b"] != 500 || counts["c"] != 300 {
		t.Errorf("picks over 1000 spread draws = %v, want a 200, b 500, c 300", counts)
	}
}
