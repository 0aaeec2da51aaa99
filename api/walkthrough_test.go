package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"postlab"
	"postlab/experiments"
)

// fixture builders: each returns the created row's id.

func (e *env) experiment(key string) string {
	e.t.Helper()
	return e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
		"key": key, "name": "Evening vs morning " + key, "platform": "tiktok",
		"hypothesis": "Posting at 19:00 local gets more views than 09:00", "primary_metric": "views",
		"secondary_metrics": []string{"engagement_rate"}, "horizon_hours": 24,
		"factors": []string{"post_time", "format"}}}).want(http.StatusCreated).field("id")
}

func (e *env) variant(exp, key string, control bool, postTime string) string {
	e.t.Helper()
	return e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/variants", key: e.editor, body: map[string]any{
		"key": key, "name": key, "is_control": control,
		"levels": map[string]string{"post_time": postTime, "format": "video"}}}).want(http.StatusCreated).field("id")
}

// running creates a started experiment with a control and one treatment.
func (e *env) running(key string) (exp, control, treatment string) {
	e.t.Helper()
	exp = e.experiment(key)
	control = e.variant(exp, "morning", true, "morning")
	treatment = e.variant(exp, "evening", false, "evening")
	e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/start", key: e.editor}).want(http.StatusOK)
	return exp, control, treatment
}

func (e *env) post(exp, variant, externalID string) string {
	e.t.Helper()
	return e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, body: map[string]any{
		"variant_id": variant, "platform": "tiktok", "account": "ifrc", "external_id": externalID,
		"posted_at": "2026-09-14T17:05:00Z", "timezone": "Europe/Zurich", "followers_at_post": 1200000}}).want(http.StatusCreated).field("id")
}

func TestHealth(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/healthz", "/readyz"} {
			var status struct{ Status string }
			e.do(call{method: "GET", path: path}).want(http.StatusOK).decode(&status)
			if status.Status != "ok" {
				t.Errorf("GET %s = %+v, want status ok", path, status)
			}
			// Load balancers probe with HEAD: the same status, no body.
			r := e.do(call{method: "HEAD", path: path}).want(http.StatusOK)
			if len(r.Body) != 0 {
				t.Errorf("HEAD %s answered a body of %d bytes", path, len(r.Body))
			}
		}
		r := e.do(call{method: "GET", path: "/openapi.yaml"}).want(http.StatusOK)
		if !bytes.Equal(r.Body, postlab.OpenAPI) {
			t.Errorf("GET /openapi.yaml answered %d bytes that differ from the embedded openapi.yaml (%d bytes)",
				len(r.Body), len(postlab.OpenAPI))
		}
		if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "yaml") {
			t.Errorf("GET /openapi.yaml Content-Type = %q, want a YAML type", ct)
		}
	})
}

// TestWalkthrough follows SPEC §5 from an empty workspace to an analysed-ready experiment.
func TestWalkthrough(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		var ws experiments.Workspace
		e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer}).want(http.StatusOK).decode(&ws)
		if ws.Name != "acme" {
			t.Errorf("workspace name = %q, want acme", ws.Name)
		}

		r := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
			"key": "forclimate-timing", "name": "#ForClimate: evening vs morning", "platform": "tiktok",
			"hypothesis": "Posting at 19:00 local gets more views than 09:00", "primary_metric": "views",
			"secondary_metrics": []string{"engagement_rate"}, "horizon_hours": 24,
			"factors": []string{"post_time", "hashtags", "format"}}}).want(http.StatusCreated)
		var exp experiments.Experiment
		r.decode(&exp)
		if exp.Status != "draft" || exp.Alpha != 0.05 || exp.Correction != "holm" || exp.MDE != 0.2 || exp.HorizonTolerance != 0.25 {
			t.Errorf("new experiment = %+v, want draft with SPEC defaults", exp)
		}
		if r.Header.Get("ETag") == "" {
			t.Error("POST /v1/experiments: no ETag")
		}
		// By key as well as by id.
		var byKey experiments.Experiment
		e.do(call{method: "GET", path: "/v1/experiments/forclimate-timing", key: e.viewer}).want(http.StatusOK).decode(&byKey)
		if byKey.ID != exp.ID {
			t.Errorf("GET by key = %s, want %s", byKey.ID, exp.ID)
		}

		levels := func(t, h, f string) map[string]string {
			return map[string]string{"post_time": t, "hashtags": h, "format": f}
		}
		e.do(call{method: "POST", path: "/v1/experiments/forclimate-timing/variants", key: e.editor, body: map[string]any{
			"key": "morning-video", "name": "Morning video", "is_control": true,
			"levels":    levels("morning", "ForClimate", "video"),
			"post_time": map[string]string{"start": "09:00", "end": "10:00", "timezone": "Europe/Zurich"}}}).want(http.StatusCreated)
		var evening experiments.Variant
		e.do(call{method: "POST", path: "/v1/experiments/" + exp.ID + "/variants", key: e.editor, body: map[string]any{
			"key": "evening-video", "name": "Evening video", "is_control": false,
			"levels": levels("evening", "ForClimate", "video")}}).want(http.StatusCreated).decode(&evening)
		var vs struct{ Items []experiments.Variant }
		e.do(call{method: "GET", path: "/v1/experiments/" + exp.ID + "/variants", key: e.viewer}).want(http.StatusOK).decode(&vs)
		if len(vs.Items) != 2 || !vs.Items[0].IsControl || vs.Items[1].Key != "evening-video" {
			t.Errorf("variants = %+v, want morning (control) then evening", vs.Items)
		}

		var started experiments.Experiment
		e.do(call{method: "POST", path: "/v1/experiments/" + exp.ID + "/start", key: e.editor}).want(http.StatusOK).decode(&started)
		if started.Status != "running" || started.StartedAt == nil {
			t.Errorf("after start: status %s, started_at %v", started.Status, started.StartedAt)
		}

		var post experiments.Post
		e.do(call{method: "POST", path: "/v1/experiments/" + exp.ID + "/posts", key: e.editor, body: map[string]any{
			"variant_id": evening.ID, "platform": "tiktok", "account": "ifrc", "external_id": "7290012345678901234",
			"posted_at": "2026-09-14T19:05:00+02:00", "timezone": "Europe/Zurich", "followers_at_post": 1200000}}).want(http.StatusCreated).decode(&post)
		if post.VariantKey != "evening-video" || post.PostedAt.Format("2006-01-02T15:04:05Z07:00") != "2026-09-14T19:05:00+02:00" {
			t.Errorf("post = variant %q posted_at %s, want evening-video at 2026-09-14T19:05:00+02:00", post.VariantKey, post.PostedAt)
		}
		// The variant may be named by key.
		e.do(call{method: "POST", path: "/v1/experiments/forclimate-timing/posts", key: e.editor, body: map[string]any{
			"variant_key": "morning-video", "account": "ifrc", "external_id": "7290012345678901235",
			"posted_at": "2026-09-14T07:05:00Z"}}).want(http.StatusCreated)

		w := e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{
			"snapshots": []map[string]any{{"post_id": post.ID, "observed_at": "2026-09-15T17:05:00Z",
				"views": 10234, "likes": 801, "comments": 40, "shares": 96, "saves": 12}}}}).want(http.StatusOK)
		var written struct {
			Written int
			Errors  []any
		}
		w.decode(&written)
		if written.Written != 1 || written.Errors == nil || len(written.Errors) != 0 {
			t.Errorf("batch answer = %s, want written 1 and errors []", w.Body)
		}
		e.do(call{method: "POST", path: "/v1/posts/" + post.ID + "/snapshots", key: e.editor, body: map[string]any{
			"observed_at": "2026-09-14T23:05:00Z", "views": 2000}}).want(http.StatusCreated)
		var snaps struct{ Items []experiments.Snapshot }
		e.do(call{method: "GET", path: "/v1/posts/" + post.ID + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
		if len(snaps.Items) != 2 || *snaps.Items[0].Views != 2000 || snaps.Items[0].Likes != nil || *snaps.Items[1].Likes != 801 {
			t.Errorf("snapshots = %s, want the 23:05 one (likes unknown: null) then the next day's", snapshotsText(snaps.Items))
		}

		var posts struct{ Items []experiments.Post }
		e.do(call{method: "GET", path: "/v1/experiments/" + exp.ID + "/posts?variant=evening-video&account=ifrc", key: e.viewer}).want(http.StatusOK).decode(&posts)
		if len(posts.Items) != 1 || posts.Items[0].ID != post.ID {
			t.Errorf("posts of evening-video = %d, want the one evening post", len(posts.Items))
		}
		var patched experiments.Post
		e.do(call{method: "PATCH", path: "/v1/posts/" + post.ID, key: e.editor, body: map[string]any{
			"caption": "Act now #ForClimate", "country": "CH"}}).want(http.StatusOK).decode(&patched)
		if patched.Caption != "Act now #ForClimate" || patched.Account != "ifrc" {
			t.Errorf("patched post = %+v", patched)
		}

		for _, step := range []string{"pause", "resume"} {
			e.do(call{method: "POST", path: "/v1/experiments/" + exp.ID + "/" + step, key: e.editor}).want(http.StatusOK)
		}
		var concluded experiments.Experiment
		e.do(call{method: "POST", path: "/v1/experiments/" + exp.ID + "/conclude", key: e.editor, body: map[string]any{
			"result": "won", "winner_variant_key": "evening-video", "summary": "Evening won", "learning": "Post at 19:00"}}).want(http.StatusOK).decode(&concluded)
		if concluded.Status != "concluded" || concluded.Decision == nil || concluded.Decision.WinnerVariantKey != "evening-video" {
			t.Errorf("concluded = %+v", concluded)
		}
		e.do(call{method: "POST", path: "/v1/experiments/" + exp.ID + "/archive", key: e.editor}).want(http.StatusOK)
		e.do(call{method: "POST", path: "/v1/posts/" + post.ID + "/snapshots", key: e.editor, body: map[string]any{
			"observed_at": "2026-09-16T17:05:00Z", "views": 20000}}).problem(http.StatusUnprocessableEntity, "post_id")

		e.do(call{method: "DELETE", path: "/v1/experiments/" + exp.ID, key: e.editor}).want(http.StatusNoContent)
		e.do(call{method: "GET", path: "/v1/posts/" + post.ID, key: e.viewer}).problem(http.StatusNotFound, "")
	})
}

func snapshotsText(ss []experiments.Snapshot) string {
	out := ""
	for _, s := range ss {
		out += fmt.Sprintf("{%s views=%v likes=%v} ", s.ObservedAt.Format("01-02T15:04"), ptr(s.Views), ptr(s.Likes))
	}
	return out
}

func ptr(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
