package api_test

import (
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"postlab/report"
	"postlab/store/storetest"
)

// growthPost logs a post of variant at postedAt with snapshots of views (and clicks when
// given) at the ages in hours given.
func (e *env) growthPost(exp, variant string, postedAt time.Time, views map[float64]int, clicks map[float64]int) {
	e.t.Helper()
	id := e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, body: map[string]any{
		"variant_id": variant, "account": "ifrc", "external_id": strconv.FormatInt(postedAt.UnixNano(), 10) + strconv.Itoa(len(views)),
		"posted_at": postedAt.Format(time.RFC3339)}}).want(http.StatusCreated).field("id")
	for age, v := range views {
		body := map[string]any{"observed_at": postedAt.Add(time.Duration(age * float64(time.Hour))).Format(time.RFC3339), "views": v}
		if c, ok := clicks[age]; ok {
			body["custom"] = map[string]any{"clicks": c}
		}
		e.do(call{method: "POST", path: "/v1/posts/" + id + "/snapshots", key: e.editor, body: body}).want(http.StatusCreated)
	}
}

// TestGrowth checks the growth curves against medians computed by hand from the horizon rule
// (interpolation between the snapshots around an age, else the nearest within a quarter of
// it), on both databases.
func TestGrowth(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newClockEnv(t, d, reportNow)
			exp, control, treatment := e.running("growth")
			old := reportNow.Add(-10 * 24 * time.Hour)
			e.growthPost(exp, control, old, map[float64]int{1: 10, 6: 60, 24: 240, 48: 300}, nil)
			e.growthPost(exp, control, old.Add(time.Minute), map[float64]int{2: 40, 12: 200, 24: 400}, nil)
			e.growthPost(exp, control, old.Add(2*time.Minute), map[float64]int{3: 30, 30: 330}, nil)
			e.growthPost(exp, treatment, old, map[float64]int{24: 1000}, map[float64]int{24: 7})
			e.growthPost(exp, treatment, old.Add(time.Minute), map[float64]int{20: 500}, nil)
			e.growthPost(exp, treatment, reportNow.Add(-5*time.Hour), map[float64]int{3.5: 50}, nil) // younger than most ages

			var g report.Growth
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth", key: e.viewer}).want(http.StatusOK).decode(&g)
			if g.Metric != "views" || g.HorizonHours != 24 || len(g.Variants) != 2 || g.Variants[0].Key != "morning" || !g.Variants[0].IsControl {
				t.Fatalf("growth = metric %q horizon %v, %d variants; want views at 24 h, the control first", g.Metric, g.HorizonHours, len(g.Variants))
			}
			// Ages up to twice the horizon (at least 48 h), the horizon among them.
			var ages []float64
			for _, p := range g.Variants[0].Points {
				ages = append(ages, p.AgeHours)
			}
			if want := []float64{1, 2, 3, 6, 12, 24, 48}; !equalFloats(ages, want) {
				t.Errorf("ages = %v, want %v", ages, want)
			}
			// By hand. Control at 24 h: 240, 400, and the third interpolated between 3 h (30) and
			// 30 h (330): 30 + 300·21/27 = 263.33…; the median is the third's.
			// At 12 h: 60 + 180·6/18 = 120, 200, 30 + 300·9/27 = 130 → 130.
			// At 1 h only the first has a value (the next snapshots, at 2 and 3 h, lie more than
			// 0.25 h away); at 48 h only the first (30 h and 24 h lie more than 12 h away).
			// At 2 h: 40 and the first interpolated, 10 + 50/5 = 20, → 30; the third's nearest
			// snapshot (3 h) is more than 0.5 h away.
			// Treatment at 24 h: 1000, and 500 from 20 h (within 6 h) → 750; the young post has
			// none. At 3 h only the young post, from its 3.5 h snapshot (within 0.75 h).
			checkPoint(t, g, 0, 24, 30+300.0*21/27, 3)
			checkPoint(t, g, 0, 12, 130, 3)
			checkPoint(t, g, 0, 1, 10, 1)
			checkPoint(t, g, 0, 48, 300, 1)
			checkPoint(t, g, 0, 2, 30, 2)
			checkPoint(t, g, 1, 24, 750, 2)
			checkPoint(t, g, 1, 3, 50, 1)
			checkPoint(t, g, 1, 1, math.NaN(), 0)

			// A custom count, known in one snapshot only.
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth?metric=custom.clicks", key: e.viewer}).want(http.StatusOK).decode(&g)
			checkPoint(t, g, 1, 24, 7, 1)
			checkPoint(t, g, 0, 24, math.NaN(), 0)

			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth?metric=engagement_rate", key: e.viewer}).problem(http.StatusUnprocessableEntity, "metric")
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth?metric=followers", key: e.viewer}).problem(http.StatusUnprocessableEntity, "metric")
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth?metric=", key: e.viewer, specInvalid: true}).problem(http.StatusBadRequest, "metric")
			other := e.workspace("other")
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth", key: other}).want(http.StatusNotFound)
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/growth"}).want(http.StatusUnauthorized)

			// A ratio primary metric draws views by default.
			rate := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
				"key": "rate", "name": "Rate", "platform": "tiktok", "primary_metric": "engagement_rate", "horizon_hours": 200}}).
				want(http.StatusCreated).field("id")
			e.do(call{method: "GET", path: "/v1/experiments/" + rate + "/growth", key: e.viewer}).want(http.StatusOK).decode(&g)
			if g.Metric != "views" || len(g.Variants) != 0 {
				t.Errorf("growth of a rate experiment = metric %q, %d variants; want views, none", g.Metric, len(g.Variants))
			}
		})
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkPoint checks variant vi's point at age: its n and its median (NaN: null).
func checkPoint(t *testing.T, g report.Growth, vi int, age, median float64, n int) {
	t.Helper()
	for _, p := range g.Variants[vi].Points {
		if p.AgeHours != age {
			continue
		}
		switch {
		case p.N != n:
			t.Errorf("%s %s at %v h: n = %d, want %d", g.Metric, g.Variants[vi].Key, age, p.N, n)
		case math.IsNaN(median) && p.Median != nil:
			t.Errorf("%s %s at %v h: median = %v, want null", g.Metric, g.Variants[vi].Key, age, *p.Median)
		case !math.IsNaN(median) && (p.Median == nil || math.Abs(*p.Median-median) > 1e-9):
			t.Errorf("%s %s at %v h: median = %v, want %v", g.Metric, g.Variants[vi].Key, age, p.Median, median)
		}
		return
	}
	t.Errorf("%s %s: no point at %v h", g.Metric, g.Variants[vi].Key, age)
}
