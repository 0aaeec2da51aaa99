package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"postlab/api"
	"postlab/experiments"
	"postlab/store/storetest"
)

// plannedPosts reads an experiment's plan; -1 when it has none.
func (e *env) plannedPosts(exp string) int {
	e.t.Helper()
	var got experiments.Experiment
	e.do(call{method: "GET", path: "/v1/experiments/" + exp, key: e.viewer}).want(http.StatusOK).decode(&got)
	if got.PlannedPostsPerVariant == nil {
		return -1
	}
	return *got.PlannedPostsPerVariant
}

// startWith creates an experiment from body (key, platform and name added) with a control and
// n−1 treatments, starts it and returns its plan.
func (e *env) startWith(key string, variants int, body map[string]any) int {
	e.t.Helper()
	body["key"], body["name"] = key, "Plan "+key
	if body["platform"] == nil {
		body["platform"] = "tiktok"
	}
	exp := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body}).want(http.StatusCreated).field("id")
	for i := range variants {
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/variants", key: e.editor, body: map[string]any{
			"key": fmt.Sprintf("v%d", i), "name": fmt.Sprintf("Variant %d", i), "is_control": i == 0}}).want(http.StatusCreated)
	}
	e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/start", key: e.editor}).want(http.StatusOK)
	return e.plannedPosts(exp)
}

// TestPlanFrozenAtStart: the plan is set at creation or while a draft, and from the start it is
// frozen with the settings the verdicts rest on.
func TestPlanFrozenAtStart(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		patch := func(exp string, body map[string]any) *response {
			return e.do(call{method: "PATCH", path: "/v1/experiments/" + exp, key: e.editor, body: body})
		}
		exp := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
			"key": "planned", "name": "Planned", "platform": "tiktok", "planned_posts_per_variant": 120,
			"factors": []string{"post_time", "format"}}}).want(http.StatusCreated).field("id")
		if got := e.plannedPosts(exp); got != 120 {
			t.Errorf("created with a plan of 120: plan = %d", got)
		}
		for _, bad := range []any{2, 1000001, 0} {
			e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, specInvalid: true, body: map[string]any{
				"key": "bad", "name": "Bad", "platform": "tiktok", "planned_posts_per_variant": bad}}).
				problem(http.StatusUnprocessableEntity, "planned_posts_per_variant")
		}
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, specInvalid: true, body: map[string]any{
			"key": "bad", "name": "Bad", "platform": "tiktok", "planned_posts_per_variant": 12.5}}).
			problem(http.StatusUnprocessableEntity, "planned_posts_per_variant")

		// While a draft, the plan changes and can be cleared.
		patch(exp, map[string]any{"planned_posts_per_variant": 150}).want(http.StatusOK)
		if got := e.plannedPosts(exp); got != 150 {
			t.Errorf("after PATCH 150: plan = %d", got)
		}
		patch(exp, map[string]any{"planned_posts_per_variant": nil}).want(http.StatusOK)
		if got := e.plannedPosts(exp); got != -1 {
			t.Errorf("after PATCH null: plan = %d, want none", got)
		}
		patch(exp, map[string]any{"planned_posts_per_variant": 200, "alpha": 0.1, "mde": 0.3}).want(http.StatusOK)
		e.do(call{method: "PATCH", path: "/v1/experiments/" + exp, key: e.editor, specInvalid: true,
			body: map[string]any{"planned_posts_per_variant": "many"}}).problem(http.StatusUnprocessableEntity, "planned_posts_per_variant")

		e.variant(exp, "morning", true, "morning")
		e.variant(exp, "evening", false, "evening")
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/start", key: e.editor}).want(http.StatusOK)
		if got := e.plannedPosts(exp); got != 200 {
			t.Errorf("a plan the team set changed at start: %d, want 200", got)
		}

		for _, status := range []string{"running", "paused", "concluded"} {
			switch status {
			case "paused":
				e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/pause", key: e.editor}).want(http.StatusOK)
			case "concluded":
				e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/conclude", key: e.editor,
					body: map[string]any{"result": "inconclusive"}}).want(http.StatusOK)
			}
			frozen := map[string]any{"primary_metric": "likes", "horizon_hours": 48, "alpha": 0.05, "correction": "bh",
				"mde": 0.2, "planned_posts_per_variant": 300}
			for field, value := range frozen {
				p := patch(exp, map[string]any{field: value}).problem(http.StatusConflict, field)
				if len(p.Errors) != 1 {
					t.Errorf("%s: PATCH %s → errors %v, want that one field", status, field, p.Errors)
				}
			}
			p := patch(exp, frozen).problem(http.StatusConflict, "")
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			slices.Sort(fields)
			if want := []string{"alpha", "correction", "horizon_hours", "mde", "planned_posts_per_variant", "primary_metric"}; !slices.Equal(fields, want) {
				t.Errorf("%s: PATCH of every frozen field names %v, want %v", status, fields, want)
			}
			patch(exp, map[string]any{"planned_posts_per_variant": nil}).problem(http.StatusConflict, "planned_posts_per_variant")
			// The current values, sent back, change nothing; other fields still change.
			var got experiments.Experiment
			patch(exp, map[string]any{"name": "Planned, " + status, "alpha": 0.1, "mde": 0.3, "horizon_hours": 24,
				"primary_metric": "views", "correction": "holm", "planned_posts_per_variant": 200, "secondary_metrics": []string{"likes"}}).
				want(http.StatusOK).decode(&got)
			if got.Name != "Planned, "+status || got.Alpha != 0.1 || *got.PlannedPostsPerVariant != 200 || !slices.Equal(got.SecondaryMetrics, []string{"likes"}) {
				t.Errorf("%s: PATCH of unchanged frozen fields gave %+v", status, got)
			}
		}
		// A stale If-Match is answered before anything else.
		e.do(call{method: "PATCH", path: "/v1/experiments/" + exp, key: e.editor, headers: map[string]string{"If-Match": `"1"`},
			body: map[string]any{"alpha": 0.01}}).problem(http.StatusPreconditionFailed, "")

		// The definition of a custom ratio primary metric is frozen with it.
		ratio := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
			"key": "clicks", "name": "Clicks", "platform": "tiktok", "primary_metric": "click_rate", "planned_posts_per_variant": 40,
			"factors":       []string{"post_time", "format"},
			"ratio_metrics": []map[string]string{{"name": "click_rate", "numerator": "custom.clicks", "denominator": "views"}}}}).
			want(http.StatusCreated).field("id")
		e.variant(ratio, "a", true, "morning")
		e.variant(ratio, "b", false, "evening")
		e.do(call{method: "POST", path: "/v1/experiments/" + ratio + "/start", key: e.editor}).want(http.StatusOK)
		patch(ratio, map[string]any{"ratio_metrics": []map[string]string{{"name": "click_rate", "numerator": "custom.clicks", "denominator": "reach"}}}).
			problem(http.StatusConflict, "ratio_metrics")
		patch(ratio, map[string]any{"ratio_metrics": []map[string]string{
			{"name": "click_rate", "numerator": "custom.clicks", "denominator": "views"},
			{"name": "tap_rate", "numerator": "custom.taps", "denominator": "views"}}}).want(http.StatusOK)
	})
}

// TestPlanSizedAtStart: an experiment started without a plan gets
// ceiling(n_fixed × inflation) posts per variant (SPEC §3.1), from an assumed sd of 1.1 until
// the workspace has 20 earlier posts on the platform with a value at the horizon, from their
// spread after. Expected values from R:
//
//	pgs <- function(sd, mde, alpha, comparisons) {
//	  nf <- power.t.test(delta = log(1 + mde), sd = sd, sig.level = alpha / comparisons, power = 0.8)$n
//	  d <- getDesignGroupSequential(kMax = 4, alpha = alpha / comparisons, sided = 2,
//	         typeOfDesign = "asOF", informationRates = (1:4) / 4)
//	  ceiling(nf * getDesignCharacteristics(d)$inflationFactor)
//	}
//	pgs(1.1, 0.2, 0.05, 1)  # 584
//	pgs(1.1, 0.2, 0.05, 2)  # 703
//	pgs(1.1, 0.2, 0.1, 3)   # 654
//	pgs(sd(log1p(views)), 0.2, 0.05, 1)  # 524, views below (sd 1.04171447086018)
//	# engagement_rate, mde 0.3: the test of a difference of 0.3 × mean(rate)
//	r <- eng / views
//	ceiling(power.t.test(delta = 0.3 * mean(r), sd = sd(r), power = 0.8)$n * 1.01963733045673)  # 8
func TestPlanSizedAtStart(t *testing.T) {
	clock := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnvAt(t, d, api.DefaultOptions(), func() time.Time { return clock })
			if got := e.startWith("two", 2, map[string]any{}); got != 584 {
				t.Errorf("2 variants, no history: plan = %d, want 584", got)
			}
			if got := e.startWith("three", 3, map[string]any{}); got != 703 {
				t.Errorf("3 variants, no history: plan = %d, want 703", got)
			}
			if got := e.startWith("four", 4, map[string]any{"alpha": 0.1}); got != 654 {
				t.Errorf("4 variants at alpha 0.1, no history: plan = %d, want 654", got)
			}
			// A lift too small to size is a conflict naming the mde; the experiment stays a draft.
			tiny := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
				"key": "tiny", "name": "Tiny lift", "platform": "tiktok", "mde": 0.0001,
				"factors": []string{"post_time", "format"}}}).want(http.StatusCreated).field("id")
			e.variant(tiny, "a", true, "morning")
			e.variant(tiny, "b", false, "evening")
			e.do(call{method: "POST", path: "/v1/experiments/" + tiny + "/start", key: e.editor}).problem(http.StatusConflict, "mde")
			var draft experiments.Experiment
			e.do(call{method: "GET", path: "/v1/experiments/" + tiny, key: e.viewer}).want(http.StatusOK).decode(&draft)
			if draft.Status != experiments.StatusDraft || draft.PlannedPostsPerVariant != nil {
				t.Errorf("after a failed start: status %s, plan %v; want a draft without a plan", draft.Status, draft.PlannedPostsPerVariant)
			}

			history, control, _ := e.running("history")
			views := []int64{200, 317, 465, 659, 916, 1260, 1727, 2367, 3247, 4465, 6155, 8506, 644, 761, 910, 1103,
				1360, 1704, 2171, 2811, 3691, 4909, 6599, 8950}
			likes := []int64{20, 28, 38, 50, 65, 84, 107, 236, 295, 372, 473, 607, 42, 47, 91, 100, 113, 131, 155, 187,
				230, 490, 599, 745}
			logPosts := func(from, to int) {
				var snaps []map[string]any
				for i := from; i < to; i++ {
					posted := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 5 * time.Hour)
					id := e.do(call{method: "POST", path: "/v1/experiments/" + history + "/posts", key: e.editor, body: map[string]any{
						"variant_id": control, "account": "ifrc", "external_id": fmt.Sprintf("h%d", i),
						"posted_at": posted.Format(time.RFC3339)}}).want(http.StatusCreated).field("id")
					snaps = append(snaps, map[string]any{"post_id": id, "observed_at": posted.Add(24 * time.Hour).Format(time.RFC3339),
						"views": views[i], "likes": likes[i], "comments": i, "shares": 2 * i, "saves": i % 3})
				}
				e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{"snapshots": snaps}}).want(http.StatusOK)
			}
			// Posts that are not the history: another platform, published after the start, or
			// without a snapshot near the horizon.
			for i, p := range []struct{ platform, posted, observed string }{
				{"instagram", "2026-09-02T09:00:00Z", "2026-09-03T09:00:00Z"},
				{"tiktok", "2026-10-02T09:00:00Z", "2026-10-03T09:00:00Z"},
				{"tiktok", "2026-09-02T09:00:00Z", "2026-09-09T09:00:00Z"},
			} {
				id := e.do(call{method: "POST", path: "/v1/experiments/" + history + "/posts", key: e.editor, body: map[string]any{
					"variant_id": control, "account": "ifrc", "external_id": fmt.Sprintf("x%d", i), "platform": p.platform,
					"posted_at": p.posted}}).want(http.StatusCreated).field("id")
				e.do(call{method: "POST", path: "/v1/posts/" + id + "/snapshots", key: e.editor, body: map[string]any{
					"observed_at": p.observed, "views": 1, "likes": 0, "comments": 0, "shares": 0, "saves": 0}}).want(http.StatusCreated)
			}
			logPosts(0, 19)
			if got := e.startWith("nineteen", 2, map[string]any{}); got != 584 {
				t.Errorf("19 earlier posts: plan = %d, want 584 (the assumed sd)", got)
			}
			logPosts(19, len(views))
			if got := e.startWith("history-views", 2, map[string]any{}); got != 524 {
				t.Errorf("24 earlier posts: plan = %d, want 524 (their sd of log1p)", got)
			}
			if got := e.startWith("history-youtube", 2, map[string]any{"platform": "youtube"}); got != 584 {
				t.Errorf("no earlier youtube posts: plan = %d, want 584", got)
			}
			if got := e.startWith("history-rate", 2, map[string]any{"primary_metric": "engagement_rate", "mde": 0.3}); got != 8 {
				t.Errorf("24 earlier posts, engagement_rate: plan = %d, want 8", got)
			}
		})
	}
}
