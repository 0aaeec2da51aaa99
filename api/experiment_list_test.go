package api_test

import (
	"net/http"
	"testing"
	"time"

	"postlab/experiments"
	"postlab/store/storetest"
)

// TestExperimentListCounts checks the list's post counts: every post of each experiment, and
// those at least its horizon old at the time of the list, whatever their snapshots.
func TestExperimentListCounts(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newClockEnv(t, d, reportNow)
			exp, control, treatment := e.running("counted") // horizon 24 h
			e.growthPost(exp, control, reportNow.Add(-48*time.Hour), map[float64]int{24: 100}, nil)
			e.growthPost(exp, control, reportNow.Add(-24*time.Hour), nil, nil) // exactly the horizon old
			e.growthPost(exp, treatment, reportNow.Add(-23*time.Hour), map[float64]int{1: 5}, nil)
			e.experiment("empty")

			var list struct {
				Items []experiments.ExperimentListItem `json:"items"`
			}
			e.do(call{method: "GET", path: "/v1/experiments", key: e.viewer}).want(http.StatusOK).decode(&list)
			got := map[string][2]int64{}
			for _, it := range list.Items {
				got[it.Key] = [2]int64{it.Posts, it.MaturedPosts}
			}
			want := map[string][2]int64{"counted": {3, 2}, "empty": {0, 0}}
			if len(got) != len(want) || got["counted"] != want["counted"] || got["empty"] != want["empty"] {
				t.Errorf("list counts (posts, matured) = %v, want %v", got, want)
			}
		})
	}
}
