package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"postlab/api"
	"postlab/experiments"
)

func TestLifecycle(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.experiment("life")
		path := "/v1/experiments/" + exp
		// Cannot start without two variants and exactly one control.
		e.do(call{method: "POST", path: path + "/start", key: e.editor}).problem(http.StatusConflict, "")
		e.variant(exp, "a", false, "morning")
		e.variant(exp, "b", false, "evening")
		p := e.do(call{method: "POST", path: path + "/start", key: e.editor}).problem(http.StatusConflict, "")
		if !strings.Contains(p.Detail, "control") {
			t.Errorf("start without control: detail %q does not mention the control", p.Detail)
		}
		// A second control is a conflict; moving the control by PATCH is allowed.
		e.do(call{method: "PATCH", path: path + "/variants/a", key: e.editor, body: map[string]any{"is_control": true}}).want(http.StatusOK)
		e.do(call{method: "POST", path: path + "/variants", key: e.editor, body: map[string]any{
			"key": "c", "name": "c", "is_control": true}}).problem(http.StatusConflict, "")
		var b experiments.Variant
		e.do(call{method: "PATCH", path: path + "/variants/b", key: e.editor, body: map[string]any{"is_control": true}}).want(http.StatusOK).decode(&b)
		var vs struct{ Items []experiments.Variant }
		e.do(call{method: "GET", path: path + "/variants", key: e.viewer}).want(http.StatusOK).decode(&vs)
		controls := 0
		for _, v := range vs.Items {
			if v.IsControl {
				controls++
			}
		}
		if controls != 1 || !b.IsControl {
			t.Errorf("after moving the control: %d controls, b control %v", controls, b.IsControl)
		}
		// Turning the control off with false is honoured (not skipped as a zero value).
		var a experiments.Variant
		e.do(call{method: "PATCH", path: path + "/variants/a", key: e.editor, body: map[string]any{"is_control": false, "weight": 0}}).want(http.StatusOK).decode(&a)
		if a.IsControl {
			t.Error("PATCH is_control false left the variant the control")
		}
		e.do(call{method: "DELETE", path: path + "/variants/c", key: e.editor}).problem(http.StatusNotFound, "")

		e.do(call{method: "POST", path: path + "/resume", key: e.editor}).problem(http.StatusConflict, "")
		e.do(call{method: "POST", path: path + "/start", key: e.editor}).want(http.StatusOK)
		p = e.do(call{method: "POST", path: path + "/start", key: e.editor}).problem(http.StatusConflict, "")
		if !strings.Contains(p.Detail, "running") || !strings.Contains(p.Detail, "draft") {
			t.Errorf("start while running: detail %q should name both states", p.Detail)
		}
		e.do(call{method: "POST", path: path + "/variants", key: e.editor, body: map[string]any{
			"key": "d", "name": "d"}}).problem(http.StatusConflict, "")
		e.do(call{method: "PATCH", path: path + "/variants/a", key: e.editor, body: map[string]any{"name": "x"}}).problem(http.StatusConflict, "")
		e.do(call{method: "PATCH", path: path, key: e.editor, body: map[string]any{"factors": []string{"sound"}}}).problem(http.StatusConflict, "")
		e.do(call{method: "POST", path: path + "/archive", key: e.editor}).problem(http.StatusConflict, "")
		e.do(call{method: "POST", path: path + "/conclude", key: e.editor, specInvalid: true, body: map[string]any{"result": "meh"}}).problem(http.StatusUnprocessableEntity, "result")
		e.do(call{method: "POST", path: path + "/conclude", key: e.editor, body: map[string]any{"result": "won", "winner_variant_key": "zzz"}}).problem(http.StatusUnprocessableEntity, "winner_variant_key")
		e.do(call{method: "POST", path: path + "/conclude", key: e.editor, body: map[string]any{"result": "inconclusive"}}).want(http.StatusOK)
		e.do(call{method: "POST", path: path + "/posts", key: e.editor, body: map[string]any{
			"variant_key": "a", "account": "x", "external_id": "1", "posted_at": "2026-09-14T17:05:00Z"}}).problem(http.StatusConflict, "")
		e.do(call{method: "POST", path: path + "/pause", key: e.editor}).problem(http.StatusConflict, "")
	})
}

func TestIdempotency(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		body := map[string]any{"key": "idem", "name": "Idem", "platform": "tiktok"}
		h := map[string]string{"Idempotency-Key": "abc-123"}
		first := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: h}).want(http.StatusCreated)
		again := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: h}).want(http.StatusCreated)
		if string(first.Body) != string(again.Body) || first.Header.Get("ETag") != again.Header.Get("ETag") {
			t.Errorf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		var list struct{ Items []any }
		e.do(call{method: "GET", path: "/v1/experiments", key: e.viewer}).want(http.StatusOK).decode(&list)
		if len(list.Items) != 1 {
			t.Errorf("after a replayed POST there are %d experiments, want 1", len(list.Items))
		}
		body["name"] = "Different"
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: h}).problem(http.StatusUnprocessableEntity, "Idempotency-Key")

		// The same key in another workspace is another key: no answer leaks across.
		other := e.workspace("other")
		r := e.do(call{method: "POST", path: "/v1/experiments", key: other, body: map[string]any{
			"key": "idem", "name": "Theirs", "platform": "x"}, headers: h}).want(http.StatusCreated)
		if r.field("name") != "Theirs" {
			t.Errorf("other workspace got a replayed answer: %s", r.Body)
		}
		// A request that failed validation is answered the same way again, and writes nothing.
		bad := map[string]any{"key": "bad", "name": "Bad", "platform": "tiktok", "primary_metric": "vibes"}
		h2 := map[string]string{"Idempotency-Key": "bad-1"}
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: bad, headers: h2}).problem(http.StatusUnprocessableEntity, "primary_metric")
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: bad, headers: h2}).problem(http.StatusUnprocessableEntity, "primary_metric")
	})
}

func TestPagination(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		for i := range 7 {
			e.experiment(fmt.Sprintf("exp-%d", i))
		}
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			path := "/v1/experiments?limit=3"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			var page struct {
				Items      []experiments.Experiment
				NextCursor *string `json:"next_cursor"`
			}
			e.do(call{method: "GET", path: path, key: e.viewer}).want(http.StatusOK).decode(&page)
			pages++
			for _, x := range page.Items {
				if seen[x.ID] {
					t.Errorf("experiment %s listed twice", x.Key)
				}
				seen[x.ID] = true
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if pages != 3 || len(seen) != 7 {
			t.Errorf("paged through %d pages and %d experiments, want 3 and 7", pages, len(seen))
		}
		var first struct {
			NextCursor string `json:"next_cursor"`
		}
		e.do(call{method: "GET", path: "/v1/experiments?limit=2", key: e.viewer}).want(http.StatusOK).decode(&first)
		tampered := "AAAA" + first.NextCursor[4:]
		e.do(call{method: "GET", path: "/v1/experiments?cursor=" + tampered, key: e.viewer}).problem(http.StatusBadRequest, "cursor")
		other := e.workspace("other")
		e.do(call{method: "GET", path: "/v1/experiments?cursor=" + first.NextCursor, key: other}).problem(http.StatusBadRequest, "cursor")
		e.do(call{method: "GET", path: "/v1/experiments?limit=501", key: e.viewer, specInvalid: true}).problem(http.StatusBadRequest, "limit")
		var filtered struct{ Items []any }
		e.do(call{method: "GET", path: "/v1/experiments?status=draft&platform=tiktok", key: e.viewer}).want(http.StatusOK).decode(&filtered)
		if len(filtered.Items) != 7 {
			t.Errorf("draft tiktok experiments = %d, want 7", len(filtered.Items))
		}
		e.do(call{method: "GET", path: "/v1/experiments?status=running", key: e.viewer}).want(http.StatusOK).decode(&filtered)
		if len(filtered.Items) != 0 {
			t.Errorf("running experiments = %d, want 0", len(filtered.Items))
		}
	})
}

func TestETag(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.experiment("etag")
		tag := e.do(call{method: "GET", path: "/v1/experiments/" + exp, key: e.viewer}).want(http.StatusOK).Header.Get("ETag")
		r := e.do(call{method: "PATCH", path: "/v1/experiments/" + exp, key: e.editor, headers: map[string]string{"If-Match": tag},
			body: map[string]any{"name": "Renamed", "alpha": 0.1}}).want(http.StatusOK)
		newTag := r.Header.Get("ETag")
		if newTag == "" || newTag == tag {
			t.Errorf("ETag after PATCH = %q, was %q", newTag, tag)
		}
		var got experiments.Experiment
		r.decode(&got)
		if got.Name != "Renamed" || got.Alpha != 0.1 || got.Platform != "tiktok" {
			t.Errorf("patched = name %q alpha %v platform %q", got.Name, got.Alpha, got.Platform)
		}
		e.do(call{method: "PATCH", path: "/v1/experiments/" + exp, key: e.editor, headers: map[string]string{"If-Match": tag},
			body: map[string]any{"name": "Stale"}}).problem(http.StatusPreconditionFailed, "")
		e.do(call{method: "PATCH", path: "/v1/experiments/" + exp, key: e.editor, body: map[string]any{"hypothesis": ""}}).want(http.StatusOK)
	})
}

func TestLimits(t *testing.T) {
	opts := api.DefaultOptions()
	opts.BodyLimit = "1K"
	opts.RateLimit, opts.RateBurst = 1, 5
	e := newEnv(t, "sqlite", opts)
	big := `{"key":"big","name":"` + strings.Repeat("x", 2000) + `","platform":"tiktok"}`
	e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, raw: big}).problem(http.StatusRequestEntityTooLarge, "")
	limited := 0
	for range 10 {
		r := e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer})
		if r.Status == http.StatusTooManyRequests {
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Error("10 quick requests at 1/s with burst 5: none was limited")
	}
}
