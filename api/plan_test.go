package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/planning"
	"postlab/report"
)

// planSnapshots logs one post per value on account, each with a snapshot at 24 h (whose views
// are later replaced by a second, later snapshot: only the latest counts).
func (e *env) planSnapshots(exp, variant, account, prefix string, views []int64) {
	e.t.Helper()
	var snaps []map[string]any
	for i, v := range views {
		id := e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, body: map[string]any{
			"variant_id": variant, "account": account, "external_id": fmt.Sprintf("%s-%d", prefix, i),
			"posted_at": "2026-09-14T17:05:00Z"}}).want(http.StatusCreated).field("id")
		snaps = append(snaps,
			map[string]any{"post_id": id, "observed_at": "2026-09-15T17:05:00Z", "views": v / 2},
			map[string]any{"post_id": id, "observed_at": "2026-09-16T17:05:00Z", "views": v})
	}
	e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{"snapshots": snaps}}).want(http.StatusOK)
}

// TestSampleSize checks POST /v1/plan/sample-size against R (power_gs: rpact, 4 looks):
//
//	pgs <- function(sd, mde, alpha, power = 0.8, comparisons = 1) {
//	  nf <- power.t.test(delta = log(1 + mde), sd = sd, sig.level = alpha / comparisons, power = power)$n
//	  d <- getDesignGroupSequential(kMax = 4, alpha = alpha / comparisons, sided = 2,
//	         typeOfDesign = "asOF", informationRates = (1:4) / 4)
//	  c(nf, getDesignCharacteristics(d)$inflationFactor, ceiling(nf * getDesignCharacteristics(d)$inflationFactor))
//	}
//	pgs(1.27, 0.2, 0.05)                                  # 762.635447456174 1.01963733045673 778
//	pgs(1.27, 0.2, 0.01, power = 0.9, comparisons = 2)    # 1624.18249155235 1.00659184592109 1635
//	pgs(sd(log1p(c(120, 900, 4000, 35000))), 0.2, 0.05)   # 2704.85858693650 1.01963733045673 2758
//	pgs(sd(log1p(c(120, 900, 4000, 35000, 10, 20))), 0.5, 0.05)  # 936.368255510235 … 955
//	pgs(1, 0.2, 0.0001, comparisons = 99)                 # 1982.29644706851 1.00030480451599 1983
func TestSampleSize(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		plan := func(key string, body map[string]any) planning.SampleSize {
			t.Helper()
			var out planning.SampleSize
			e.do(call{method: "POST", path: "/v1/plan/sample-size", key: key, body: body}).want(http.StatusOK).decode(&out)
			return out
		}

		t.Run("given sd", func(t *testing.T) {
			got := plan(e.viewer, map[string]any{"mde": 0.2, "baseline": map[string]any{"sd": 1.27}, "posts_per_week": 60})
			if got.Method != "power_gs" || got.PostsPerVariant != 778 || got.TotalPosts != 1556 || got.Weeks == nil || *got.Weeks != 26 {
				t.Errorf("plan = %s, %d per variant, %d in all, %v weeks; want power_gs, 778, 1556, 26", got.Method, got.PostsPerVariant, got.TotalPosts, got.Weeks)
			}
			if math.Abs(got.NFixed-762.635447456174) > 1e-6*762.6 || math.Abs(got.Inflation-1.01963733045673) > 1e-6 ||
				!slices.Equal(got.LookPosts, []int{195, 389, 584, 778}) {
				t.Errorf("plan n_fixed %v, inflation %v, looks %v; want 762.635447456174, 1.01963733045673, [195 389 584 778]",
					got.NFixed, got.Inflation, got.LookPosts)
			}
			if got.SD != 1.27 || got.SDSource != "given" || got.Alpha != 0.05 || got.Power != 0.8 || got.Variants != 2 || got.Metric != nil {
				t.Errorf("plan settings = %+v, want sd 1.27 given, alpha 0.05, power 0.8, 2 variants, no metric", got)
			}
			wantSummary := "To detect a 20% lift with 80% power you need 778 posts per variant (1,556 in all), about 26 weeks at 60 posts a week." +
				" The report checks at 195, 389, 584 and 778 posts per variant; a clear result at an earlier check ends the experiment sooner."
			if got.Summary != wantSummary {
				t.Errorf("summary = %q, want %q", got.Summary, wantSummary)
			}
		})

		t.Run("defaults and more variants", func(t *testing.T) {
			got := plan(e.viewer, map[string]any{"mde": 0.2, "variants": 3, "power": 0.9, "alpha": 0.01,
				"baseline": map[string]any{"sd": 1.27, "metric": "views"}})
			if got.PostsPerVariant != 1635 || got.TotalPosts != 3*1635 || got.Weeks != nil || got.PostsPerWeek != nil ||
				math.Abs(got.NFixed-1624.18249155235) > 1e-6*1624.2 || math.Abs(got.Inflation-1.00659184592109) > 1e-6 {
				t.Errorf("plan = %+v, want 1635 per variant (n_fixed 1624.18249155235 at alpha 0.005, inflation 1.00659184592109), %d in all, no weeks", got, 3*1635)
			}
			if !strings.Contains(got.Summary, "lift in views with 90% power") || !strings.Contains(got.Summary, "across 3 variants).") {
				t.Errorf("summary = %q", got.Summary)
			}
		})

		t.Run("small alpha shared by many comparisons", func(t *testing.T) {
			got := plan(e.viewer, map[string]any{"mde": 0.2, "alpha": 0.0001, "variants": 100, "baseline": map[string]any{"sd": 1}})
			if got.PostsPerVariant != 1983 || math.Abs(got.NFixed-1982.29644706851) > 1e-6*1982.3 || math.Abs(got.Inflation-1.00030480451599) > 1e-6 {
				t.Errorf("plan = %d per variant, n_fixed %v, inflation %v; want 1983, 1982.29644706851, 1.00030480451599", got.PostsPerVariant, got.NFixed, got.Inflation)
			}
		})

		exp, control, treatment := e.running("plan-baseline")
		ifrc := []int64{120, 900, 4000, 35000}
		e.planSnapshots(exp, control, "ifrc", "a", ifrc[:2])
		e.planSnapshots(exp, treatment, "ifrc", "b", ifrc[2:])
		e.planSnapshots(exp, treatment, "ifrc_es", "c", []int64{10, 20})

		t.Run("from an account's posts", func(t *testing.T) {
			got := plan(e.viewer, map[string]any{"mde": 0.2, "posts_per_week": 10,
				"baseline": map[string]any{"experiment": "plan-baseline", "account": "ifrc"}})
			sd := 2.39284368462529 // R: sd(log1p(c(120, 900, 4000, 35000)))
			if math.Abs(got.SD-sd) > 1e-12 || got.SDSource != "4 posts of account ifrc" || got.PostsPerVariant != 2758 {
				t.Errorf("plan = sd %v from %q, %d per variant; want sd %v from 4 posts of account ifrc, 2758", got.SD, got.SDSource, got.PostsPerVariant, sd)
			}
			if got.Metric == nil || *got.Metric != "views" || !strings.HasPrefix(got.Summary, "To detect a 20% lift in views with 80% power") {
				t.Errorf("plan metric %v, summary %q; want the primary metric, views", got.Metric, got.Summary)
			}
		})

		t.Run("from every post of the experiment", func(t *testing.T) {
			got := plan(e.viewer, map[string]any{"mde": 0.5, "baseline": map[string]any{"experiment": exp, "metric": "views"}})
			sd := 3.12993228566641 // R: sd(log1p(c(120, 900, 4000, 35000, 10, 20)))
			if math.Abs(got.SD-sd) > 1e-12 || got.SDSource != "6 posts of experiment plan-baseline" || got.PostsPerVariant != 955 {
				t.Errorf("plan = sd %v from %q, %d per variant; want %v from 6 posts of experiment plan-baseline, 955", got.SD, got.SDSource, got.PostsPerVariant, sd)
			}
		})

		t.Run("errors", func(t *testing.T) {
			other := e.workspace("other")
			ratio := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
				"key": "ratio-primary", "name": "Rates", "platform": "tiktok", "primary_metric": "engagement_rate"}}).want(http.StatusCreated).field("id")
			tests := []struct {
				name        string
				body        map[string]any
				field       string
				specInvalid bool
			}{
				{"no mde", map[string]any{"baseline": map[string]any{"sd": 1}}, "mde", true},
				{"zero mde", map[string]any{"mde": 0, "baseline": map[string]any{"sd": 1}}, "mde", true},
				{"no baseline", map[string]any{"mde": 0.2}, "baseline", true},
				{"both baselines", map[string]any{"mde": 0.2, "baseline": map[string]any{"sd": 1, "experiment": exp}}, "baseline", false},
				{"empty baseline", map[string]any{"mde": 0.2, "baseline": map[string]any{}}, "baseline", false},
				{"alpha", map[string]any{"mde": 0.2, "alpha": 0.7, "baseline": map[string]any{"sd": 1}}, "alpha", true},
				{"power", map[string]any{"mde": 0.2, "power": 1, "baseline": map[string]any{"sd": 1}}, "power", true},
				{"one variant", map[string]any{"mde": 0.2, "variants": 1, "baseline": map[string]any{"sd": 1}}, "variants", true},
				{"rate", map[string]any{"mde": 0.2, "posts_per_week": 0, "baseline": map[string]any{"sd": 1}}, "posts_per_week", true},
				{"tiny rate", map[string]any{"mde": 0.2, "posts_per_week": 1e-300, "baseline": map[string]any{"sd": 1}}, "posts_per_week", true},
				{"subnormal rate", map[string]any{"mde": 0.2, "posts_per_week": 5e-324, "baseline": map[string]any{"sd": 1}}, "posts_per_week", true},
				{"huge rate", map[string]any{"mde": 0.2, "posts_per_week": 1e308, "baseline": map[string]any{"sd": 1}}, "posts_per_week", true},
				{"unknown field", map[string]any{"mde": 0.2, "baseline": map[string]any{"sd": 1}, "colour": "red"}, "colour", true},
				{"unknown experiment", map[string]any{"mde": 0.2, "baseline": map[string]any{"experiment": "nope"}}, "baseline.experiment", false},
				{"account alone", map[string]any{"mde": 0.2, "baseline": map[string]any{"sd": 1, "account": "ifrc"}}, "baseline.account", false},
				{"too few posts", map[string]any{"mde": 0.2, "baseline": map[string]any{"experiment": exp, "account": "ifrc_es"}}, "baseline.account", false},
				{"no such account", map[string]any{"mde": 0.2, "baseline": map[string]any{"experiment": exp, "account": "unicef"}}, "baseline.account", false},
				{"ratio metric", map[string]any{"mde": 0.2, "baseline": map[string]any{"experiment": exp, "metric": "engagement_rate"}}, "baseline.metric", false},
				{"ratio primary metric", map[string]any{"mde": 0.2, "baseline": map[string]any{"experiment": ratio}}, "baseline.metric", false},
				{"too many posts", map[string]any{"mde": 0.0001, "baseline": map[string]any{"sd": 50}}, "mde", false},
				// alpha/99 ≈ 1e-14: no group-sequential design (a boundary beyond 8 with spending left; rpact refuses alphas below 1e-6).
				{"alpha too small for the comparisons", map[string]any{"mde": 0.2, "alpha": 1e-12, "variants": 100, "baseline": map[string]any{"sd": 1}}, "alpha", false},
			}
			for _, tt := range tests {
				e.do(call{method: "POST", path: "/v1/plan/sample-size", key: e.viewer, body: tt.body, specInvalid: tt.specInvalid}).
					problem(http.StatusUnprocessableEntity, tt.field)
			}
			// Another workspace's experiment is as good as missing.
			e.do(call{method: "POST", path: "/v1/plan/sample-size", key: other, body: map[string]any{
				"mde": 0.2, "baseline": map[string]any{"experiment": exp}}}).problem(http.StatusUnprocessableEntity, "baseline.experiment")
			e.do(call{method: "POST", path: "/v1/plan/sample-size", body: map[string]any{
				"mde": 0.2, "baseline": map[string]any{"sd": 1}}}).problem(http.StatusUnauthorized, "")
			e.do(call{method: "POST", path: "/v1/plan/sample-size", key: e.viewer, raw: `{"mde": `}).problem(http.StatusBadRequest, "body")
		})
	})
}

// thousands writes n with comma separators, as the summaries do.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// scheduleExperiment creates a draft experiment varying post_time (when byTime) and format,
// with a morning control and an evening treatment.
func (e *env) scheduleExperiment(key string, byTime bool, weights ...float64) string {
	e.t.Helper()
	factors := []string{"format"}
	if byTime {
		factors = append(factors, "post_time")
	}
	exp := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
		"key": key, "name": "Plan " + key, "platform": "tiktok", "factors": factors}}).want(http.StatusCreated).field("id")
	for i, v := range []struct{ key, name, at string }{{"morning", "Morning video", "09:00"}, {"evening", "Evening video", "19:00"}} {
		body := map[string]any{"key": v.key, "name": v.name, "is_control": i == 0, "levels": map[string]string{"format": "video"},
			"post_time": map[string]string{"start": v.at, "end": "21:00", "timezone": "Europe/Zurich"}}
		if byTime {
			body["levels"] = map[string]string{"format": "video", "post_time": v.key}
		}
		if len(weights) > i {
			body["weight"] = weights[i]
		}
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/variants", key: e.editor, body: body}).want(http.StatusCreated)
	}
	return exp
}

func (e *env) schedule(exp string, body map[string]any) planning.Schedule {
	e.t.Helper()
	var s planning.Schedule
	e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/schedule", key: e.editor, body: body}).want(http.StatusOK).decode(&s)
	return s
}

// checkBlocks checks that every block shares its posts among the variants to within one post
// (by weights), on distinct days when there are no more posts than days.
func checkBlocks(t *testing.T, s planning.Schedule, perBlock int, share map[string]float64) {
	t.Helper()
	blocks := map[string][]experiments.ScheduleSlot{}
	for _, slot := range s.Slots {
		year, week := slot.PlannedAt.ISOWeek()
		if want := fmt.Sprintf("%04d-W%02d/%s", year, week, slot.Account); slot.Block != want {
			t.Errorf("slot at %s on %s is in block %s, want %s", slot.PlannedAt, slot.Account, slot.Block, want)
		}
		blocks[slot.Block] = append(blocks[slot.Block], slot)
	}
	for name, slots := range blocks {
		if len(slots) != perBlock {
			t.Errorf("block %s has %d slots, want %d", name, len(slots), perBlock)
		}
		counts, days := map[string]int{}, map[string]bool{}
		for _, slot := range slots {
			counts[slot.VariantKey]++
			days[slot.PlannedAt.Format(time.DateOnly)] = true
		}
		for key, w := range share {
			if exact := w * float64(len(slots)); math.Abs(float64(counts[key])-exact) >= 1 {
				t.Errorf("block %s gives %s %d slots of %d, want %v to within one", name, key, counts[key], len(slots), exact)
			}
		}
		if len(slots) <= 7 && len(days) != len(slots) {
			t.Errorf("block %s puts %d slots on %d days, want distinct days", name, len(slots), len(days))
		}
	}
}

func TestSchedule(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		zurich, _ := time.LoadLocation("Europe/Zurich")
		newYork, _ := time.LoadLocation("America/New_York")
		exp := e.scheduleExperiment("plan-timing", true)
		body := map[string]any{"start": "2026-09-14", "end": "2026-10-11", "accounts": []string{"ifrc", "ifrc_es"},
			"posts_per_week": 3, "timezone": "Europe/Zurich", "seed": 7}

		t.Run("balanced blocks at each variant's time", func(t *testing.T) {
			s := e.schedule(exp, body)
			if len(s.Slots) != 2*4*3 || s.Seed != 7 || s.ExperimentKey != "plan-timing" {
				t.Fatalf("plan has %d slots (seed %d, key %s), want 24 (seed 7, plan-timing)", len(s.Slots), s.Seed, s.ExperimentKey)
			}
			checkBlocks(t, s, 3, map[string]float64{"morning": 0.5, "evening": 0.5})
			for _, slot := range s.Slots {
				local := slot.PlannedAt.In(zurich)
				wantClock := map[string]string{"morning": "09:00", "evening": "19:00"}[slot.VariantKey]
				_, offset := local.Zone()
				_, gotOffset := slot.PlannedAt.Zone()
				if local.Format("15:04") != wantClock || offset != gotOffset {
					t.Errorf("%s slot at %s, want %s Zurich time with its offset", slot.VariantKey, slot.PlannedAt.Format(time.RFC3339), wantClock)
				}
			}
			for key, b := range s.Balance {
				if b.Total != 12 || b.ByAccount["ifrc"] != 6 || b.ByAccount["ifrc_es"] != 6 || len(b.ByWeekday) != 7 {
					t.Errorf("balance of %s = %+v, want 12 slots, 6 per account, 7 weekdays", key, b)
				}
			}
			again := e.schedule(exp, body)
			if !cmp.Equal(again.Slots, s.Slots) {
				t.Errorf("the same seed gave another plan:\n%s", cmp.Diff(s.Slots, again.Slots))
			}
			body2 := withField(body, "seed", 8)
			if other := e.schedule(exp, body2); cmp.Equal(other.Slots, s.Slots) {
				t.Errorf("seeds 7 and 8 gave the same plan")
			}
		})

		t.Run("candidate times and weights", func(t *testing.T) {
			flat := e.scheduleExperiment("plan-weights", false, 3, 1)
			s := e.schedule(flat, map[string]any{"start": "2026-09-14", "end": "2026-11-08", "accounts": []string{"ifrc"},
				"posts_per_week": 4, "times": []string{"09:00", "19:00"}, "timezone": "America/New_York"})
			if len(s.Slots) != 8*4 || s.Seed != 1 {
				t.Fatalf("plan has %d slots, seed %d; want 32, seed 1", len(s.Slots), s.Seed)
			}
			checkBlocks(t, s, 4, map[string]float64{"morning": 0.75, "evening": 0.25})
			times := map[string]map[string]int{"morning": {}, "evening": {}}
			for _, slot := range s.Slots {
				local := slot.PlannedAt.In(newYork)
				if slot.PlannedAt.Format(time.RFC3339) != local.Format(time.RFC3339) {
					t.Errorf("slot at %s, want New York's offset (%s)", slot.PlannedAt.Format(time.RFC3339), local.Format(time.RFC3339))
				}
				times[slot.VariantKey][local.Format("15:04")]++
			}
			// Without post_time as a factor the variants' own windows are ignored: each variant
			// gets both candidate times, equally often.
			for key, byTime := range times {
				if len(byTime) != 2 || byTime["09:00"] != byTime["19:00"] {
					t.Errorf("%s is planned at %v, want 09:00 and 19:00 equally", key, byTime)
				}
			}
		})

		t.Run("csv and calendar", func(t *testing.T) {
			r := e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/schedule", key: e.editor, body: body,
				headers: map[string]string{"Accept": "text/csv"}}).want(http.StatusOK)
			rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
			if err != nil || len(rows) != 25 || rows[0][0] != "planned_at" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
				t.Errorf("CSV plan: %d rows, %v, content type %q\n%s", len(rows), err, r.Header.Get("Content-Type"), trim(r.Body))
			}
			r = e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/schedule", key: e.editor, body: body,
				headers: map[string]string{"Accept": "text/calendar"}}).want(http.StatusOK)
			checkCalendar(t, string(r.Body), 24)
		})

		t.Run("errors", func(t *testing.T) {
			tests := []struct {
				name        string
				change      map[string]any
				field       string
				specInvalid bool
			}{
				{"end before start", map[string]any{"end": "2026-09-01"}, "end", false},
				{"over a year", map[string]any{"end": "2027-09-30"}, "end", false},
				{"not a date", map[string]any{"start": "next monday"}, "start", true},
				{"too short for the rate", map[string]any{"end": "2026-09-14", "posts_per_week": 1}, "end", false},
				{"no accounts", map[string]any{"accounts": []string{}}, "accounts", true},
				{"duplicate account", map[string]any{"accounts": []string{"ifrc", "ifrc"}}, "accounts[1]", false},
				{"too many posts", map[string]any{"posts_per_week": 51}, "posts_per_week", true},
				{"bad time", map[string]any{"times": []string{"7pm"}}, "times[0]", true},
				{"no times", map[string]any{"times": []string{}}, "times", true},
				{"bad zone", map[string]any{"timezone": "Mars/Olympus"}, "timezone", false},
				{"seed not an integer", map[string]any{"seed": 1.5}, "seed", true},
			}
			for _, tt := range tests {
				b := body
				for k, v := range tt.change {
					b = withField(b, k, v)
				}
				e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/schedule", key: e.editor, body: b, specInvalid: tt.specInvalid}).
					problem(http.StatusUnprocessableEntity, tt.field)
			}
			e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/schedule", key: e.viewer, body: body}).problem(http.StatusForbidden, "")
			e.do(call{method: "POST", path: "/v1/experiments/nope/schedule", key: e.editor, body: body}).problem(http.StatusNotFound, "")
			other := e.workspace("other")
			e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/schedule", key: e.newKey(other, "editor"), body: body}).problem(http.StatusNotFound, "")
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/schedule", key: e.newKey(other, "viewer")}).problem(http.StatusNotFound, "")
			lonely := e.experiment("plan-lonely")
			e.variant(lonely, "only", true, "evening")
			e.do(call{method: "POST", path: "/v1/experiments/" + lonely + "/schedule", key: e.editor, body: body}).problem(http.StatusConflict, "")
			e.do(call{method: "GET", path: "/v1/experiments/" + lonely + "/schedule", key: e.viewer}).problem(http.StatusNotFound, "")
		})
	})
}

// withField returns a copy of m with key set to value.
func withField(m map[string]any, key string, value any) map[string]any {
	out := map[string]any{key: value}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// checkCalendar checks an iCalendar's shape: CRLF lines of at most 75 octets, one VEVENT per
// slot with a UID, DTSTAMP, DTSTART in UTC and a SUMMARY.
func checkCalendar(t *testing.T, ics string, events int) {
	t.Helper()
	if !strings.HasPrefix(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(ics, "END:VCALENDAR\r\n") {
		t.Errorf("calendar does not start and end as RFC 5545 says:\n%.300s", ics)
	}
	lines := strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n")
	uids := map[string]bool{}
	for _, l := range lines {
		if len(l) > 75 || strings.Contains(l, "\n") {
			t.Errorf("calendar line %q is longer than 75 octets or holds a bare newline", l)
		}
		if uid, ok := strings.CutPrefix(l, "UID:"); ok {
			uids[uid] = true
		}
		if at, ok := strings.CutPrefix(l, "DTSTART:"); ok {
			if _, err := time.Parse("20060102T150405Z", at); err != nil {
				t.Errorf("DTSTART %q is not a UTC date-time", at)
			}
		}
	}
	count := strings.Count(ics, "BEGIN:VEVENT\r\n")
	if count != events || len(uids) != events || strings.Count(ics, "\r\nDTSTAMP:") != events {
		t.Errorf("calendar has %d events, %d distinct UIDs, want %d each", count, len(uids), events)
	}
	if !strings.Contains(ics, "\r\nSUMMARY:Post Evening video on ifrc\r\n") {
		t.Errorf("calendar has no SUMMARY:Post Evening video on ifrc")
	}
}

func TestScheduleAdherence(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.scheduleExperiment("plan-kept", true)
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/start", key: e.editor}).want(http.StatusOK)
		// A plan in the past, so that every slot is due.
		plan := e.schedule(exp, map[string]any{"start": "2024-09-02", "end": "2024-09-15", "accounts": []string{"ifrc"},
			"posts_per_week": 2, "timezone": "Europe/Zurich"})
		if len(plan.Slots) != 4 {
			t.Fatalf("plan has %d slots, want 4", len(plan.Slots))
		}
		logPost := func(variant, id string, at time.Time) string {
			return e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, body: map[string]any{
				"variant_key": variant, "account": "ifrc", "external_id": id, "posted_at": at.Format(time.RFC3339)}}).
				want(http.StatusCreated).field("id")
		}
		first, second := plan.Slots[0], plan.Slots[1]
		kept := logPost(first.VariantKey, "kept", first.PlannedAt.Add(40*time.Minute))
		wrong := "morning"
		if second.VariantKey == "morning" {
			wrong = "evening"
		}
		logPost(wrong, "swapped", second.PlannedAt.Add(-30*time.Minute))
		logPost(plan.Slots[2].VariantKey, "late", plan.Slots[2].PlannedAt.Add(3*time.Hour))

		var got planning.StoredSchedule
		e.do(call{method: "GET", path: "/v1/experiments/plan-kept/schedule", key: e.viewer}).want(http.StatusOK).decode(&got)
		if len(got.Slots) != 4 {
			t.Fatalf("stored plan has %d slots, want 4", len(got.Slots))
		}
		for i, slot := range got.Slots {
			if !slot.PlannedAt.Equal(plan.Slots[i].PlannedAt) || slot.VariantKey != plan.Slots[i].VariantKey {
				t.Errorf("stored slot %d = %s %s, want %s %s", i, slot.VariantKey, slot.PlannedAt, plan.Slots[i].VariantKey, plan.Slots[i].PlannedAt)
			}
		}
		if s := got.Slots[0]; !s.OnTime || s.PostID == nil || *s.PostID != kept {
			t.Errorf("slot 0 = on_time %v, post %v; want on time with post %s", s.OnTime, s.PostID, kept)
		}
		if s := got.Slots[1]; s.OnTime || !s.WrongVariant {
			t.Errorf("slot 1 = on_time %v, wrong_variant %v; want the wrong variant", s.OnTime, s.WrongVariant)
		}
		if s := got.Slots[2]; s.OnTime || s.WrongVariant {
			t.Errorf("slot 2 = on_time %v, wrong_variant %v; want missed (3 hours late)", s.OnTime, s.WrongVariant)
		}
		a := got.Adherence
		if a.Slots != 4 || a.Due != 4 || a.OnTime != 1 || a.Missed != 3 || a.WrongVariant != 1 || a.OnTimeShare == nil || *a.OnTimeShare != 0.25 {
			t.Errorf("adherence = %+v, want 4 due, 1 on time, 3 missed, 1 wrong variant", a)
		}
		if !strings.HasPrefix(a.Summary, "1 of the 4 planned posts due so far went out on time") {
			t.Errorf("adherence summary = %q", a.Summary)
		}
		r := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/schedule", key: e.viewer,
			headers: map[string]string{"Accept": "text/csv"}}).want(http.StatusOK)
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil || len(rows) != 5 || rows[0][6] != "on_time" || rows[1][6] != "true" || rows[1][8] != kept {
			t.Errorf("CSV of the stored plan: %v, %v", rows, err)
		}
		r = e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/schedule", key: e.viewer,
			headers: map[string]string{"Accept": "text/calendar"}}).want(http.StatusOK)
		checkCalendar(t, string(r.Body), 4)

		// The report says the same of the plan.
		var report report.Report
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report", key: e.viewer}).want(http.StatusOK).decode(&report)
		if report.PlanAdherence == nil || report.PlanAdherence.OnTime != 1 || report.PlanAdherence.Due != 4 || report.PlanAdherence.Summary != a.Summary {
			t.Errorf("report plan_adherence = %+v, want the schedule's %+v", report.PlanAdherence, a)
		}
	})
}

func TestLearnings(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		conclude := func(exp string, body map[string]any) {
			e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/conclude", key: e.editor, body: body}).want(http.StatusOK)
		}
		timing, _, evening := e.running("learn-timing")
		e.post(timing, evening, "learn-1")
		conclude(timing, map[string]any{"result": "won", "winner_variant_key": "evening",
			"summary": "Evening posts got 48% more views", "learning": "Post at 19:00 local on TikTok"})

		tags := e.experiment("learn-tags")
		e.do(call{method: "PATCH", path: "/v1/experiments/" + tags, key: e.editor, body: map[string]any{"platform": "instagram"}}).want(http.StatusOK)
		e.variant(tags, "climate", true, "noon")
		v := e.variant(tags, "nature", false, "noon")
		e.do(call{method: "POST", path: "/v1/experiments/" + tags + "/start", key: e.editor}).want(http.StatusOK)
		e.do(call{method: "POST", path: "/v1/experiments/" + tags + "/posts", key: e.editor, body: map[string]any{
			"variant_id": v, "account": "IFRC_es", "external_id": "learn-2", "posted_at": "2026-09-14T12:00:00Z"}}).want(http.StatusCreated)
		conclude(tags, map[string]any{"result": "inconclusive", "summary": "No clear difference"})
		e.do(call{method: "POST", path: "/v1/experiments/" + tags + "/archive", key: e.editor}).want(http.StatusOK)

		e.running("learn-open") // not concluded: never a learning

		search := func(query string) []experiments.Learning {
			t.Helper()
			var page struct {
				Items      []experiments.Learning
				NextCursor *string `json:"next_cursor"`
			}
			e.do(call{method: "GET", path: "/v1/learnings" + query, key: e.viewer}).want(http.StatusOK).decode(&page)
			return page.Items
		}
		keys := func(ls []experiments.Learning) []string {
			out := []string{}
			for _, l := range ls {
				out = append(out, l.Key)
			}
			return out
		}
		tests := []struct {
			query string
			want  []string
		}{
			{"", []string{"learn-tags", "learn-timing"}},
			{"?q=" + url.QueryEscape("48% MORE"), []string{"learn-timing"}},
			{"?q=tiktok", []string{"learn-timing"}},
			{"?q=nothing-like-this", []string{}},
			{"?platform=instagram", []string{"learn-tags"}},
			{"?factor=post_time", []string{"learn-tags", "learn-timing"}},
			{"?level=evening", []string{"learn-timing"}},
			{"?factor=post_time&level=NOON", []string{"learn-tags"}},
			{"?factor=format&level=noon", []string{}},
			{"?account=ifrc_ES", []string{"learn-tags"}},
			{"?account=ifrc&level=video", []string{"learn-timing"}},
		}
		for _, tt := range tests {
			if got := keys(search(tt.query)); !slices.Equal(got, tt.want) {
				t.Errorf("GET /v1/learnings%s = %v, want %v", tt.query, got, tt.want)
			}
		}

		all := search("")
		if len(all) == 2 {
			l := all[1]
			if l.Result != "won" || l.WinnerVariantKey == nil || *l.WinnerVariantKey != "evening" || l.Status != "concluded" ||
				l.Learning != "Post at 19:00 local on TikTok" || !cmp.Equal(l.WinnerLevels, map[string]string{"post_time": "evening", "format": "video"}) ||
				!cmp.Equal(l.Factors, []string{"post_time", "format"}) || l.ConcludedAt.IsZero() {
				t.Errorf("learning of learn-timing = %+v", l)
			}
			if all[0].Status != "archived" || all[0].WinnerVariantKey != nil || len(all[0].WinnerLevels) != 0 {
				t.Errorf("learning of learn-tags = %+v, want archived without a winner", all[0])
			}
		}

		// Pages of one, then the cursor.
		var first struct {
			Items      []experiments.Learning
			NextCursor *string `json:"next_cursor"`
		}
		e.do(call{method: "GET", path: "/v1/learnings?limit=1", key: e.viewer}).want(http.StatusOK).decode(&first)
		if len(first.Items) != 1 || first.NextCursor == nil {
			t.Fatalf("first page = %d items, cursor %v; want 1 and a cursor", len(first.Items), first.NextCursor)
		}
		if got := keys(search("?limit=1&cursor=" + url.QueryEscape(*first.NextCursor))); !slices.Equal(got, []string{"learn-timing"}) {
			t.Errorf("second page = %v, want [learn-timing]", got)
		}
		e.do(call{method: "GET", path: "/v1/learnings?cursor=" + url.QueryEscape(*first.NextCursor+"x"), key: e.viewer}).problem(http.StatusBadRequest, "cursor")
		e.do(call{method: "GET", path: "/v1/learnings?limit=0", key: e.viewer, specInvalid: true}).problem(http.StatusBadRequest, "limit")
		e.do(call{method: "GET", path: "/v1/learnings?platform=myspace", key: e.viewer, specInvalid: true}).problem(http.StatusUnprocessableEntity, "platform")
		e.do(call{method: "GET", path: "/v1/learnings?q=" + strings.Repeat("x", 201), key: e.viewer, specInvalid: true}).problem(http.StatusUnprocessableEntity, "q")

		// Another workspace learns nothing from this one; its cursor is not this one's.
		other := e.newKey(e.workspace("other"), "viewer")
		var theirs struct{ Items []experiments.Learning }
		e.do(call{method: "GET", path: "/v1/learnings", key: other}).want(http.StatusOK).decode(&theirs)
		if len(theirs.Items) != 0 {
			t.Errorf("another workspace sees %d learnings, want none", len(theirs.Items))
		}
		e.do(call{method: "GET", path: "/v1/learnings?cursor=" + url.QueryEscape(*first.NextCursor), key: other}).problem(http.StatusBadRequest, "cursor")
	})
}

// TestHugeWeightsPlanAndReport: weights the contract allows whose sum overflows a float
// (1e308 each) still share the posts evenly, in the schedule and the report's allocation,
// instead of a 500.
func TestHugeWeightsPlanAndReport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.scheduleExperiment("huge-weights", true, 1e308, 1e308)
		s := e.schedule(exp, map[string]any{"start": "2026-09-14", "end": "2026-10-11", "accounts": []string{"ifrc"},
			"posts_per_week": 4, "seed": 3})
		counts := map[string]int{}
		for _, slot := range s.Slots {
			counts[slot.VariantKey]++
		}
		if counts["morning"] != 8 || counts["evening"] != 8 {
			t.Errorf("schedule with weights 1e308, 1e308 gives %v slots, want 8 each", counts)
		}
		var r struct {
			Allocation struct {
				ExpectedWeights map[string]float64 `json:"expected_weights"`
			} `json:"allocation"`
		}
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report", key: e.viewer}).want(http.StatusOK).decode(&r)
		if w := r.Allocation.ExpectedWeights; w["morning"] != 0.5 || w["evening"] != 0.5 {
			t.Errorf("report's expected weights for weights 1e308, 1e308 = %v, want 0.5 each", w)
		}
	})
}
