package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The rows the contract fuzzer knows of: those it set up, and those its requests created, so
// that generated ids name real rows.

var (
	fuzzAccounts = []string{"ifrc", "ifrc_es", "kenyaredcross"}
	fuzzMetrics  = []string{"views", "likes", "shares", "engagements", "engagement_rate", "completion_rate",
		"custom.clicks", "nonsense", "custom."}
	fuzzFactors = []string{"post_time", "format"}
)

type fuzzVariant struct{ id, key string }

type fuzzExperiment struct {
	id, key, status string
	variants        []fuzzVariant
	seeded          bool // set up before the run: never deleted by it
}

type fuzzPost struct {
	id, externalID string
	seeded         bool
}

type fuzzState struct {
	experiments []*fuzzExperiment
	posts       []fuzzPost
	keys        []string // ids of keys the fuzzer may revoke
	adminKeyID  string   // the fuzzer's own admin key: revoking it is 409
	serial      int
}

func (st *fuzzState) experiment(idOrKey string) *fuzzExperiment {
	for _, x := range st.experiments {
		if x.id == idOrKey || x.key == idOrKey {
			return x
		}
	}
	return nil
}

// setUp makes the rows the run starts from: a workspace with keys of every role (the env's),
// spare keys to revoke, and experiments in each status with variants, posts, snapshots, a
// conclusion (with its frozen report) and a posting plan.
func (f *fuzzer) setUp() {
	e, st := f.e, f.g.st
	for i := range 3 {
		r := e.do(call{method: "POST", path: "/v1/keys", key: e.admin, body: map[string]any{"name": fmt.Sprintf("spare%d", i), "role": "editor"}})
		st.keys = append(st.keys, r.want(http.StatusCreated).field("id"))
	}
	var keys struct {
		Items []struct{ ID, Prefix string }
	}
	e.do(call{method: "GET", path: "/v1/keys", key: e.admin}).want(http.StatusOK).decode(&keys)
	for _, k := range keys.Items {
		if k.Prefix != "" && len(e.admin) >= len(k.Prefix) && e.admin[:len(k.Prefix)] == k.Prefix {
			st.adminKeyID = k.ID
		}
	}

	running := f.seedExperiment("fz-running", 8)
	f.transition(running, "start", nil)
	e.do(call{method: "POST", path: "/v1/experiments/fz-running/schedule", key: e.editor, body: map[string]any{
		"start": f.g.now.AddDate(0, 0, -14).Format(time.DateOnly), "end": f.g.now.AddDate(0, 0, 14).Format(time.DateOnly),
		"accounts": fuzzAccounts[:2], "posts_per_week": 3, "timezone": "Europe/Zurich", "seed": 7}}).want(http.StatusOK)

	paused := f.seedExperiment("fz-paused", 2)
	f.transition(paused, "start", nil)
	f.transition(paused, "pause", nil)

	concluded := f.seedExperiment("fz-concluded", 6)
	f.transition(concluded, "start", nil)
	f.transition(concluded, "conclude", map[string]any{"result": "won", "winner_variant_key": "evening",
		"summary": "Evening got more views.", "learning": "Post in the evening."})

	f.seedExperiment("fz-draft", 0)
}

// seedExperiment creates a draft with a control and a treatment, and logs posts (before it
// starts, as the contract allows: they are then marked as logged in draft) with snapshots
// at 24 and 48 hours.
func (f *fuzzer) seedExperiment(key string, posts int) *fuzzExperiment {
	e, st, now := f.e, f.g.st, f.g.now
	r := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
		"key": key, "name": "Fuzz " + key, "platform": "tiktok", "primary_metric": "views",
		"secondary_metrics": []string{"engagement_rate"}, "horizon_hours": 24, "factors": fuzzFactors}})
	x := &fuzzExperiment{id: r.want(http.StatusCreated).field("id"), key: key, status: "draft", seeded: true}
	st.experiments = append(st.experiments, x)
	for i, v := range []string{"morning", "evening"} {
		r := e.do(call{method: "POST", path: "/v1/experiments/" + key + "/variants", key: e.editor, body: map[string]any{
			"key": v, "name": v, "is_control": i == 0, "levels": map[string]string{"post_time": v, "format": "video"}}})
		x.variants = append(x.variants, fuzzVariant{id: r.want(http.StatusCreated).field("id"), key: v})
	}
	var snaps []map[string]any
	for i := range posts {
		ext := fmt.Sprintf("%s-%d", key, i)
		at := now.Add(-10*24*time.Hour + time.Duration(i)*7*time.Hour)
		r := e.do(call{method: "POST", path: "/v1/experiments/" + key + "/posts", key: e.editor, body: map[string]any{
			"variant_key": x.variants[i%2].key, "account": fuzzAccounts[i%2], "external_id": ext,
			"posted_at": at.Format(time.RFC3339), "timezone": "Europe/Zurich"}})
		st.posts = append(st.posts, fuzzPost{id: r.want(http.StatusCreated).field("id"), externalID: ext, seeded: true})
		for _, h := range []int{24, 48} {
			views := 1000 + h*10*(i+1)
			observed := at.Add(time.Duration(h) * time.Hour).Format(time.RFC3339)
			snaps = append(snaps, map[string]any{"platform": "tiktok", "external_id": ext, "observed_at": observed,
				"views": views, "likes": views / 20, "comments": 3, "shares": i})
		}
	}
	if len(snaps) > 0 {
		e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{"snapshots": snaps}}).want(http.StatusOK)
	}
	return x
}

func (f *fuzzer) transition(x *fuzzExperiment, action string, body map[string]any) {
	c := call{method: "POST", path: "/v1/experiments/" + x.key + "/" + action, key: f.e.editor}
	if body != nil {
		c.body = body
	}
	x.status = f.e.do(c).want(http.StatusOK).field("status")
}

// observe learns the rows an answer created, changed or deleted.
func (st *fuzzState) observe(r *fuzzRequest, a *fuzzAnswer) {
	if r.op == nil || a.status >= 300 {
		return
	}
	if a.status == http.StatusNoContent {
		st.forget(r)
		return
	}
	var m map[string]any
	if json.Unmarshal(a.body, &m) != nil {
		return
	}
	s := func(k string) string { v, _ := m[k].(string); return v }
	switch r.op.op.OperationID {
	case "createExperiment":
		st.experiments = append(st.experiments, &fuzzExperiment{id: s("id"), key: s("key"), status: s("status")})
	case "createVariant", "updateVariant":
		if x := st.experiment(s("experiment_id")); x != nil {
			x.variants = slices.DeleteFunc(x.variants, func(v fuzzVariant) bool { return v.id == s("id") })
			x.variants = append(x.variants, fuzzVariant{id: s("id"), key: s("key")})
		}
	case "createPost":
		st.posts = append(st.posts, fuzzPost{id: s("id"), externalID: s("external_id")})
	case "createKey":
		st.keys = append(st.keys, s("id"))
	}
	// Any answer that is an experiment says its key and status now.
	if s("workspace_id") != "" && s("status") != "" {
		if x := st.experiment(s("id")); x != nil {
			x.key, x.status = s("key"), s("status")
		}
	}
}

// forget drops the row a DELETE removed.
func (st *fuzzState) forget(r *fuzzRequest) {
	switch r.op.op.OperationID {
	case "deleteExperiment":
		st.experiments = slices.DeleteFunc(st.experiments, func(x *fuzzExperiment) bool { return x == r.exp })
	case "deleteVariant":
		if r.exp != nil {
			r.exp.variants = slices.DeleteFunc(r.exp.variants, func(v fuzzVariant) bool {
				return v.id == r.params["variant_id"] || v.key == r.params["variant_id"]
			})
		}
	case "deletePost":
		st.posts = slices.DeleteFunc(st.posts, func(p fuzzPost) bool { return p.id == r.params["post_id"] })
	}
}
