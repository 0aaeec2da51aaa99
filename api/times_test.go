package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"postlab/api"
	"postlab/experiments"
	"postlab/store/storetest"
)

// Times the databases cannot store or read back: offsets of 24 hours, year 10000 once in UTC,
// years before 1970 (year 0 on SQLite), and, for posts, more than a day after the clock.
var (
	timesNow       = time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC)
	badObservedAts = []string{"2026-09-15T17:05:00+24:00", "2026-09-15T17:05:00-24:00",
		"9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.5Z", "0000-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z"}
	badPostedAts = []string{"2026-09-14T17:05:00+24:00", "2026-09-14T17:05:00-24:00", "9999-12-31T23:59:59-14:00",
		"0000-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01", "2026-09-21T12:00:01Z"}
)

// offset24 reports whether the contract refuses the value itself (an offset of 24 hours).
func offset24(v string) bool { return strings.HasSuffix(v, "24:00") }

func TestTimesOutsideTheStoredRangeAreRefused(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnvAt(t, d, api.DefaultOptions(), func() time.Time { return timesNow })
			exp, control, _ := e.running("times")
			for _, v := range badPostedAts {
				e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, specInvalid: offset24(v),
					body: map[string]any{"variant_id": control, "account": "ifrc", "external_id": "bad-" + v, "posted_at": v}}).
					problem(http.StatusUnprocessableEntity, "posted_at")
			}
			post := e.post(exp, control, "good")
			for _, v := range badPostedAts {
				e.do(call{method: "PATCH", path: "/v1/posts/" + post, key: e.editor, specInvalid: offset24(v),
					body: map[string]any{"posted_at": v}}).problem(http.StatusUnprocessableEntity, "posted_at")
			}
			for _, v := range badObservedAts {
				e.do(call{method: "POST", path: "/v1/posts/" + post + "/snapshots", key: e.editor, specInvalid: offset24(v),
					body: map[string]any{"observed_at": v, "views": 10}}).problem(http.StatusUnprocessableEntity, "observed_at")
				e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, specInvalid: offset24(v),
					body: map[string]any{"snapshots": []map[string]any{
						{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": 10},
						{"post_id": post, "observed_at": v, "views": 20}}}}).
					problem(http.StatusUnprocessableEntity, "snapshots[1].observed_at")
				e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/import?format=instagram&observed_at=" + url.QueryEscape(v),
					key: e.editor, raw: "x", headers: map[string]string{"Content-Type": "text/csv"}}).
					problem(http.StatusUnprocessableEntity, "observed_at")
			}
			for i, v := range append(badObservedAts, badPostedAts...) {
				posted, observed := "2026-09-14T17:05:00Z", v
				if i >= len(badObservedAts) {
					posted, observed = v, "2026-09-15T17:05:00Z"
				}
				file := "external_id,variant_key,account,posted_at,observed_at,views\n" +
					"ok1,morning,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,5\n" +
					fmt.Sprintf("bad%d,morning,ifrc,%s,%s,7\n", i, posted, observed)
				if r := e.importRaw(exp, "", "text/csv", file); r.Status != http.StatusUnprocessableEntity {
					t.Fatalf("import of a row with posted_at %s, observed_at %s = %d, want 422: %s", posted, observed, r.Status, r.Body)
				} else {
					r.problem(http.StatusUnprocessableEntity, "line 3")
				}
			}
			var posts struct{ Items []experiments.Post }
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts", key: e.viewer}).want(http.StatusOK).decode(&posts)
			if len(posts.Items) != 1 || posts.Items[0].ID != post || !posts.Items[0].PostedAt.Equal(time.Date(2026, 9, 14, 17, 5, 0, 0, time.UTC)) {
				t.Errorf("posts after refused times = %+v, want only the good one, unchanged", posts.Items)
			}
			var snaps struct{ Items []experiments.Snapshot }
			e.do(call{method: "GET", path: "/v1/posts/" + post + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
			if len(snaps.Items) != 0 {
				t.Errorf("refused snapshots stored %d rows", len(snaps.Items))
			}
		})
	}
}

func TestTimesAtTheEdgesOfTheRangeRoundTrip(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnvAt(t, d, api.DefaultOptions(), func() time.Time { return timesNow })
			exp, control, treatment := e.running("edges")
			postedAts := []string{"1970-01-01T00:00:00Z", "1970-01-01T23:59:00+23:59", "2026-09-21T12:00:00Z",
				"2026-09-20T12:00:00.123456-23:59", "2026-09-14T17:05:00+14:00"}
			ids := map[string]string{}
			for i, v := range postedAts {
				variant := []string{control, treatment}[i%2]
				r := e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor,
					body: map[string]any{"variant_id": variant, "account": "ifrc", "external_id": fmt.Sprint("edge", i), "posted_at": v}})
				ids[r.want(http.StatusCreated).field("id")] = v
			}
			observedAts := []string{"9999-12-31T23:59:59Z", "9999-12-31T23:59:58+14:00", "9999-12-31T09:59:57-14:00"}
			var batch []map[string]any
			for id := range ids {
				for j, v := range observedAts {
					batch = append(batch, map[string]any{"post_id": id, "observed_at": v, "views": 100 + j})
				}
			}
			e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{"snapshots": batch}}).want(http.StatusOK)
			file := "external_id,variant_key,account,posted_at,observed_at,views\n" +
				"imp1,morning,ifrc,1970-01-01T00:00:00Z,1970-01-02T00:00:00-23:59,5\n" +
				"imp2,evening,ifrc,2026-09-21T12:00:00+00:00,9999-12-31T23:59:59+00:00,7\n"
			var got importAnswer
			e.importRaw(exp, "", "text/csv", file).want(http.StatusOK).decode(&got)
			if got.Written != 2 {
				t.Errorf("import at the edges = %+v, want 2 written", got)
			}

			var posts struct{ Items []experiments.Post }
			e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts", key: e.viewer}).want(http.StatusOK).decode(&posts)
			if len(posts.Items) != len(postedAts)+2 {
				t.Fatalf("listed %d posts, want %d", len(posts.Items), len(postedAts)+2)
			}
			for id, v := range ids {
				r := e.do(call{method: "GET", path: "/v1/posts/" + id, key: e.viewer}).want(http.StatusOK)
				if !strings.Contains(string(r.Body), `"posted_at":"`+v+`"`) {
					t.Errorf("post at %s reads back as %s", v, r.Body)
				}
				var snaps struct{ Items []experiments.Snapshot }
				e.do(call{method: "GET", path: "/v1/posts/" + id + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
				if len(snaps.Items) != len(observedAts) {
					t.Errorf("post at %s lists %d snapshots, want %d", v, len(snaps.Items), len(observedAts))
				}
				for _, s := range snaps.Items {
					if s.ObservedAt.Year() != 9999 {
						t.Errorf("snapshot of post at %s observed at %s, want in 9999", v, s.ObservedAt)
					}
				}
			}
			for _, path := range []string{"/report", "/report?horizon=latest", "/report?horizon=24", "/next"} {
				e.do(call{method: "GET", path: "/v1/experiments/" + exp + path, key: e.viewer}).want(http.StatusOK)
			}

			plan := e.scheduleExperiment("edge-plan", false)
			for _, dates := range [][2]string{{"1970-01-02", "1970-01-15"}, {"9999-12-17", "9999-12-30"}} {
				e.schedule(plan, map[string]any{"start": dates[0], "end": dates[1], "accounts": []string{"ifrc"},
					"posts_per_week": 3, "timezone": "Pacific/Kiritimati"})
				e.do(call{method: "GET", path: "/v1/experiments/" + plan + "/schedule", key: e.viewer}).want(http.StatusOK)
			}
			for _, dates := range [][2]string{{"1970-01-01", "1970-01-14"}, {"9999-12-18", "9999-12-31"}, {"0000-01-01", "0000-01-14"}} {
				field := "start"
				if dates[0] > "9" {
					field = "end"
				}
				e.do(call{method: "POST", path: "/v1/experiments/" + plan + "/schedule", key: e.editor, body: map[string]any{
					"start": dates[0], "end": dates[1], "accounts": []string{"ifrc"}, "posts_per_week": 3}}).
					problem(http.StatusUnprocessableEntity, field)
			}
		})
	}
}

// TestWritesAnswerTheTimesReadsGive: the databases keep times to the microsecond, so the answer
// to a write gives them as stored, not with nanoseconds that no later read shows.
func TestWritesAnswerTheTimesReadsGive(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		created := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor,
			body: map[string]any{"key": "precise", "name": "Precise", "platform": "tiktok",
				"factors": []string{"post_time", "format"}}}).want(http.StatusCreated)
		exp := created.field("id")
		read := e.do(call{method: "GET", path: "/v1/experiments/" + exp, key: e.viewer}).want(http.StatusOK)
		for _, f := range []string{"created_at", "updated_at"} {
			if created.field(f) != read.field(f) {
				t.Errorf("experiment %s: created %s, read back %s", f, created.field(f), read.field(f))
			}
		}
		control := e.variant(exp, "morning", true, "morning")
		posted := e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, body: map[string]any{
			"variant_id": control, "account": "ifrc", "external_id": "ns",
			"posted_at": "2026-09-14T17:05:00.123456789Z"}}).want(http.StatusCreated)
		post := e.do(call{method: "GET", path: "/v1/posts/" + posted.field("id"), key: e.viewer}).want(http.StatusOK)
		for _, f := range []string{"posted_at", "created_at"} {
			if posted.field(f) != post.field(f) {
				t.Errorf("post %s: created %s, read back %s", f, posted.field(f), post.field(f))
			}
		}
		snap := e.do(call{method: "POST", path: "/v1/posts/" + posted.field("id") + "/snapshots", key: e.editor,
			body: map[string]any{"observed_at": "2026-09-15T17:05:00.987654321Z", "views": 10}}).want(http.StatusCreated)
		list := e.do(call{method: "GET", path: "/v1/posts/" + posted.field("id") + "/snapshots", key: e.viewer}).want(http.StatusOK)
		var page struct {
			Items []struct {
				ObservedAt string `json:"observed_at"`
			} `json:"items"`
		}
		list.decode(&page)
		if len(page.Items) != 1 || page.Items[0].ObservedAt != snap.field("observed_at") {
			t.Errorf("snapshot observed_at: created %s, read back %+v", snap.field("observed_at"), page.Items)
		}
	})
}
