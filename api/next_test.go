package api_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"

	"postlab/report"
)

func TestNextVariant(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, control, treatment := e.running("next")
		var next report.NextPost
		e.do(call{method: "GET", path: "/v1/experiments/next/next", key: e.viewer}).want(http.StatusOK).decode(&next)
		if next.VariantKey == "" || len(next.ProbabilityBest) != 0 || !next.Exploratory {
			t.Errorf("with no matured posts: %+v, want a variant to learn about and no probabilities", next)
		}
		// Three matured posts per variant, the evening ones doing far better.
		var snaps []map[string]any
		for i := range 3 {
			for _, v := range []struct {
				id    string
				views int
			}{{control, 1000 + 100*i}, {treatment, 9000 + 500*i}} {
				post := e.post(exp, v.id, fmt.Sprintf("%s-%d", v.id, i))
				snaps = append(snaps, map[string]any{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": v.views})
			}
		}
		e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{"snapshots": snaps}}).want(http.StatusOK)
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/next", key: e.viewer}).want(http.StatusOK).decode(&next)
		total := 0.0
		for _, p := range next.ProbabilityBest {
			total += p
		}
		if math.Abs(total-1) > 1e-9 || next.ProbabilityBest["evening"] < 0.99 || next.MaturedPosts["morning"] != 3 {
			t.Errorf("after 3 matured posts each: %+v, want evening almost surely best", next)
		}
		if next.VariantKey != "morning" && next.VariantKey != "evening" {
			t.Errorf("next variant = %q", next.VariantKey)
		}
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/conclude", key: e.editor, body: map[string]any{"result": "won", "winner_variant_key": "evening"}}).want(http.StatusOK)
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/next", key: e.viewer}).problem(http.StatusConflict, "")
	})
}
