package postlab

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"postlab/experiments"
)

// loadSpec parses and validates the embedded contract.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIValidates(t *testing.T) {
	doc := loadSpec(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
}

// TestOpenAPIEndpoints checks what every operation must declare. Which operations exist is
// checked against the server's real routes (api.TestRoutesMatchContract), not a list here.
func TestOpenAPIEndpoints(t *testing.T) {
	doc := loadSpec(t)
	if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
		t.Fatalf("the document's default security must be bearerAuth, got %v", doc.Security)
	}
	scheme := doc.Components.SecuritySchemes["bearerAuth"]
	if scheme == nil || scheme.Value.Type != "http" || scheme.Value.Scheme != "bearer" {
		t.Fatalf("components.securitySchemes.bearerAuth must be http bearer")
	}
	ids := map[string]string{}
	operations(doc, func(method, path string, op *openapi3.Operation) {
		name := method + " " + path
		// Generated clients name their functions by operationId: present, unique, lowerCamel.
		switch {
		case op.OperationID == "" || !unicode.IsLower(rune(op.OperationID[0])) || strings.ContainsAny(op.OperationID, "_- "):
			t.Errorf("%s: operationId %q must be a lowerCamel name", name, op.OperationID)
		case ids[op.OperationID] != "":
			t.Errorf("%s: operationId %q is also %s's", name, op.OperationID, ids[op.OperationID])
		}
		ids[op.OperationID] = name
		// Everything under /v1 needs a key; the probes and the contract itself need none.
		public := !strings.HasPrefix(path, "/v1/")
		switch {
		case public && (op.Security == nil || len(*op.Security) != 0):
			t.Errorf("%s: must declare security: [] (no key needed)", name)
		case !public && op.Security != nil:
			t.Errorf("%s: must inherit the bearer security", name)
		}
	})
}

// samplePath fills a templated path with values of its parameters' shapes.
var samplePath = strings.NewReplacer("{id}", "forclimate-timing", "{variant_id}", "evening-video",
	"{post_id}", "01926f3e-7c1a-7d2b-9a4e-3b5c6d7e8f90", "{key_id}", "01926f3e-7c1a-7d2b-9a4e-3b5c6d7e8f91")

// TestOpenAPIRoutes checks that a request to each operation finds that operation, as a
// contract-validating test harness would route it (the colon of snapshots:batch included).
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadSpec(t)
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("route openapi.yaml: %v", err)
	}
	operations(doc, func(method, path string, op *openapi3.Operation) {
		url := "http://localhost" + samplePath.Replace(path)
		if strings.Contains(url, "{") {
			t.Errorf("%s %s: samplePath has no value for a parameter", method, path)
			return
		}
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		route, _, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return
		}
		if route.Operation != op {
			t.Errorf("%s %s routes to %s, want %s", method, path, route.Operation.OperationID, op.OperationID)
		}
	})
}

// operations calls fn for every operation of the document, in a stable order.
func operations(doc *openapi3.T, fn func(method, path string, op *openapi3.Operation)) {
	paths := doc.Paths.Map()
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, path := range keys {
		ops := paths[path].Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			fn(m, path, ops[m])
		}
	}
}

func TestOpenAPIConventions(t *testing.T) {
	doc := loadSpec(t)
	problem := doc.Components.Schemas["Problem"].Value
	operations(doc, func(method, path string, op *openapi3.Operation) {
		name := method + " " + path
		v1 := strings.HasPrefix(path, "/v1/")

		// Every POST takes Idempotency-Key, from the shared parameter, and so can answer 400 (a
		// key too long), 409 (the first request still in flight) and 422 (another body).
		if method == http.MethodPost {
			found := false
			for _, p := range op.Parameters {
				if p.Ref == "#/components/parameters/IdempotencyKey" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no Idempotency-Key parameter", name)
			}
			for _, code := range []int{400, 409, 422} {
				if op.Responses.Status(code) == nil {
					t.Errorf("%s: a POST must document %d", name, code)
				}
			}
		}

		// Every /v1 operation can answer 401, 429 and 500; writes can answer 403.
		if v1 {
			for _, code := range []int{401, 429, 500} {
				if op.Responses.Status(code) == nil {
					t.Errorf("%s: no %d response", name, code)
				}
			}
			if method != http.MethodGet && op.Responses.Status(403) == nil {
				t.Errorf("%s: a write must document 403", name)
			}
		}
		// Operations with a body document the body's errors.
		if op.RequestBody != nil {
			for _, code := range []int{400, 413, 415, 422} {
				if op.Responses.Status(code) == nil {
					t.Errorf("%s: has a body but no %d response", name, code)
				}
			}
		}

		// Every error is application/problem+json with the Problem schema, from components.
		for status, ref := range op.Responses.Map() {
			if status[0] != '4' && status[0] != '5' {
				continue
			}
			if !strings.HasPrefix(ref.Ref, "#/components/responses/") {
				t.Errorf("%s: %s must use a shared components/responses entry", name, status)
			}
			resp := ref.Value
			if len(resp.Content) != 1 || resp.Content.Get("application/problem+json") == nil {
				t.Errorf("%s: %s must be application/problem+json only", name, status)
				continue
			}
			if !extendsProblem(resp.Content.Get("application/problem+json").Schema.Value, problem) {
				t.Errorf("%s: %s must use the Problem schema (or one that extends it by allOf)", name, status)
			}
			if status == "401" && resp.Headers["WWW-Authenticate"] == nil {
				t.Errorf("%s: 401 without WWW-Authenticate", name)
			}
			if status == "429" && resp.Headers["Retry-After"] == nil {
				t.Errorf("%s: 429 without Retry-After", name)
			}
		}

		// Lists take limit and cursor.
		if method == http.MethodGet && op.Responses.Status(200) != nil {
			if mt := op.Responses.Status(200).Value.Content.Get("application/json"); mt != nil {
				if _, isList := mt.Schema.Value.Properties["next_cursor"]; isList && path != "/v1/experiments/{id}/variants" {
					if op.Parameters.GetByInAndName("query", "limit") == nil || op.Parameters.GetByInAndName("query", "cursor") == nil {
						t.Errorf("%s: a list must take limit and cursor", name)
					}
				}
			}
		}

		// JSON request bodies reject unknown fields at every level.
		if op.RequestBody != nil {
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
				checkClosed(t, name+" body", mt.Schema, map[*openapi3.Schema]bool{})
			}
		}
	})

	// Experiments carry an ETag wherever one is answered, and PATCH takes If-Match.
	for _, e := range []struct{ method, path string }{
		{http.MethodPost, "/v1/experiments"},
		{http.MethodGet, "/v1/experiments/{id}"},
		{http.MethodPatch, "/v1/experiments/{id}"},
		{http.MethodPost, "/v1/experiments/{id}/start"},
		{http.MethodPost, "/v1/experiments/{id}/pause"},
		{http.MethodPost, "/v1/experiments/{id}/resume"},
		{http.MethodPost, "/v1/experiments/{id}/conclude"},
		{http.MethodPost, "/v1/experiments/{id}/archive"},
	} {
		op := doc.Paths.Value(e.path).GetOperation(e.method)
		code := 200
		if e.method == http.MethodPost && e.path == "/v1/experiments" {
			code = 201
		}
		resp := op.Responses.Status(code)
		if resp == nil || resp.Value.Headers["ETag"] == nil {
			t.Errorf("%s %s: %d must carry an ETag header", e.method, e.path, code)
		}
	}
	if doc.Paths.Value("/v1/experiments").Post.Responses.Status(201).Value.Headers["Location"] == nil {
		t.Errorf("POST /v1/experiments: 201 must carry a Location header")
	}
	patch := doc.Paths.Value("/v1/experiments/{id}").Patch
	if patch.Parameters.GetByInAndName("header", "If-Match") == nil {
		t.Errorf("PATCH /v1/experiments/{id}: no If-Match parameter")
	}
	if patch.Responses.Status(412) == nil {
		t.Errorf("PATCH /v1/experiments/{id}: no 412 response")
	}
	// Creates answer 201, deletes 204.
	operations(doc, func(method, path string, op *openapi3.Operation) {
		if method == http.MethodDelete && op.Responses.Status(204) == nil {
			t.Errorf("%s %s: must answer 204", method, path)
		}
	})
	for _, path := range []string{"/v1/keys", "/v1/experiments", "/v1/experiments/{id}/variants",
		"/v1/experiments/{id}/posts", "/v1/posts/{post_id}/snapshots"} {
		if doc.Paths.Value(path).Post.Responses.Status(201) == nil {
			t.Errorf("POST %s: must answer 201", path)
		}
	}
}

// extendsProblem reports whether s is the Problem schema or an allOf that includes it, so
// every error answer can be read as a Problem whatever it adds.
func extendsProblem(s, problem *openapi3.Schema) bool {
	if s == problem {
		return true
	}
	for _, sub := range s.AllOf {
		if sub.Value == problem {
			return true
		}
	}
	return false
}

// checkClosed fails when an object schema reachable from s allows unknown properties.
func checkClosed(t *testing.T, where string, s *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	t.Helper()
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	v := s.Value
	seen[v] = true
	for _, sub := range v.AllOf {
		checkClosed(t, where, sub, seen)
	}
	if v.Type.Is("object") && len(v.Properties) > 0 {
		if v.AdditionalProperties.Has == nil || *v.AdditionalProperties.Has {
			t.Errorf("%s: object schema %s must set additionalProperties: false", where, s.Ref)
		}
		for name, p := range v.Properties {
			checkClosed(t, where+"."+name, p, seen)
		}
	}
	if v.Items != nil {
		checkClosed(t, where+"[]", v.Items, seen)
	}
}

// schemaOf returns a component schema by name.
func schemaOf(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref := doc.Components.Schemas[name]
	if ref == nil {
		t.Fatalf("no schema %s", name)
	}
	return ref.Value
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// TestOpenAPIRequestBodies checks the request shapes of SPEC §5 against the schemas, and that
// the schemas refuse what the server refuses.
func TestOpenAPIRequestBodies(t *testing.T) {
	doc := loadSpec(t)
	cases := []struct {
		schema, body string
		ok           bool
	}{
		{"ExperimentInput", `{"key": "forclimate-timing", "name": "#ForClimate: evening vs morning", "platform": "tiktok",
			"hypothesis": "Posting at 19:00 local gets more views than 09:00",
			"primary_metric": "views", "secondary_metrics": ["engagement_rate"],
			"horizon_hours": 24, "factors": ["post_time", "hashtags", "format"]}`, true},
		{"ExperimentInput", `{"key": "k", "name": "n", "platform": "tiktok", "ratio_metrics": [{"name": "click_rate", "numerator": "custom.clicks", "denominator": "views"}]}`, true},
		{"ExperimentInput", `{"key": "k", "name": "n"}`, false},                               // platform missing
		{"ExperimentInput", `{"key": "k", "name": "n", "platform": "myspace"}`, false},        // bad enum
		{"ExperimentInput", `{"key": "k", "name": "n", "platform": "x", "colour": 1}`, false}, // unknown field
		{"ExperimentInput", `{"key": "k", "name": "n", "platform": "x", "correction": "bonferroni"}`, false},
		{"ExperimentInput", `{"key": "k", "name": "n", "platform": "x", "ratio_metrics": [{"name": "r", "numerator": "likes", "denominator": "views", "x": 1}]}`, false},
		{"ExperimentPatch", `{"name": "Evening vs morning", "alpha": 0.01}`, true},
		{"ExperimentPatch", `{"status": "running"}`, false},
		{"VariantInput", `{"key": "evening-video", "name": "Evening video", "is_control": false,
			"levels": {"post_time": "evening", "hashtags": "ForClimate", "format": "video"}}`, true},
		{"VariantInput", `{"key": "evening", "name": "Evening", "post_time": {"start": "19:00", "end": "20:00", "timezone": "Europe/Zurich"}}`, true},
		{"VariantInput", `{"key": "evening", "name": "Evening", "post_time": {"start": "7pm", "timezone": "Europe/Zurich"}}`, false},
		{"VariantInput", `{"key": "evening", "name": "Evening", "format": "hologram"}`, false},
		{"VariantPatch", `{"is_control": true}`, true},
		{"PostInput", `{"variant_id": "0192", "platform": "tiktok", "account": "ifrc", "external_id": "7290012345678901234",
			"posted_at": "2026-09-14T17:05:00Z", "timezone": "Europe/Zurich", "followers_at_post": 1200000}`, true},
		{"PostInput", `{"variant_key": "evening-video", "account": "ifrc", "external_id": "1", "posted_at": "2026-09-14T19:05:00+02:00"}`, true},
		{"PostInput", `{"variant_key": "v", "account": "ifrc", "external_id": "1", "posted_at": "2026-09-14T19:05:00+02:00", "followers_at_post": -1}`, false},
		{"PostInput", `{"variant_key": "v", "account": "ifrc", "external_id": "1"}`, false}, // posted_at missing
		{"PostPatch", `{"caption": "new caption", "hashtags": ["ForClimate"]}`, true},
		{"PostSnapshotInput", `{"observed_at": "2026-09-15T17:05:00Z", "views": 10234, "likes": 801, "comments": 40, "shares": 96, "saves": 12}`, true},
		{"PostSnapshotInput", `{"observed_at": "2026-09-15T17:05:00Z", "views": null, "completion_rate": 0.4, "custom": {"clicks": 3}}`, true},
		{"PostSnapshotInput", `{"observed_at": "2026-09-15T17:05:00Z", "views": -1}`, false},
		{"PostSnapshotInput", `{"observed_at": "2026-09-15T17:05:00Z", "completion_rate": 1.5}`, false},
		{"PostSnapshotInput", `{"observed_at": "2026-09-15T17:05:00Z", "views": 1.5}`, false},
		{"PostSnapshotInput", `{"views": 1}`, false},                                               // observed_at missing
		{"PostSnapshotInput", `{"post_id": "0192", "observed_at": "2026-09-15T17:05:00Z"}`, false}, // the path names the post
		{"SnapshotInput", `{"post_id": "0192", "observed_at": "2026-09-15T17:05:00Z", "saves": 0}`, true},
		{"SnapshotInput", `{"post_id": "0192", "observed_at": "2026-09-15T17:05:00Z", "saves": -3}`, false},
		{"SnapshotBatch", `{"snapshots": [{"post_id": "0192", "observed_at": "2026-09-15T17:05:00Z",
			"views": 10234, "likes": 801, "comments": 40, "shares": 96, "saves": 12}]}`, true},
		{"SnapshotBatch", `{"snapshots": [{"platform": "tiktok", "external_id": "7290012345678901234", "observed_at": "2026-09-15T17:05:00Z"}]}`, true},
		{"SnapshotBatch", `{"snapshots": []}`, false},
		{"ConcludeInput", `{"result": "won", "winner_variant_key": "evening-video", "summary": "…", "learning": "…"}`, true},
		{"ConcludeInput", `{"result": "victory"}`, false},
		{"KeyInput", `{"name": "ci", "role": "editor"}`, true},
		{"KeyInput", `{"name": "ci", "role": "owner"}`, false},
	}
	for _, c := range cases {
		err := schemaOf(t, doc, c.schema).VisitJSON(decode(t, c.body), openapi3.VisitAsRequest(), openapi3.EnableFormatValidation())
		if c.ok && err != nil {
			t.Errorf("%s should accept %s: %v", c.schema, c.body, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s should refuse %s", c.schema, c.body)
		}
	}
}

// TestOpenAPIResponseBodies checks answers shaped as the server writes them against the schemas.
func TestOpenAPIResponseBodies(t *testing.T) {
	doc := loadSpec(t)
	cases := []struct{ schema, body string }{
		{"Problem", `{"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "detail": "the request is not valid",
			"errors": [{"field": "snapshots[3].views", "message": "must be 0 or more (leave it out when unknown)"}]}`},
		{"Workspace", `{"id": "w1", "name": "IFRC digital", "created_at": "2026-09-01T08:00:00Z"}`},
		{"APIKey", `{"id": "k1", "workspace_id": "w1", "name": "admin", "role": "admin", "prefix": "pl_1a2b3c",
			"created_at": "2026-09-01T08:00:00Z", "last_used_at": null, "revoked_at": null}`},
		{"CreatedAPIKey", `{"id": "k1", "workspace_id": "w1", "name": "ci", "role": "editor", "prefix": "pl_1a2b3c",
			"created_at": "2026-09-01T08:00:00Z", "last_used_at": null, "revoked_at": null, "secret": "pl_1a2b3c4d"}`},
		{"Experiment", `{"id": "e1", "workspace_id": "w1", "key": "forclimate-timing", "name": "n", "hypothesis": "",
			"platform": "tiktok", "status": "draft", "primary_metric": "views", "secondary_metrics": [], "ratio_metrics": [],
			"horizon_hours": 24, "horizon_tolerance": 0.25, "alpha": 0.05, "correction": "holm", "mde": 0.2,
			"planned_posts_per_variant": null, "factors": [], "version": 1, "created_at": "2026-09-01T08:00:00Z", "updated_at": "2026-09-01T08:00:00Z",
			"started_at": null, "concluded_at": null, "decision": null}`},
		{"Experiment", `{"id": "e1", "workspace_id": "w1", "key": "forclimate-timing", "name": "n", "hypothesis": "h",
			"platform": "tiktok", "status": "concluded", "primary_metric": "views", "secondary_metrics": ["engagement_rate"],
			"ratio_metrics": [{"name": "click_rate", "numerator": "custom.clicks", "denominator": "views"}],
			"horizon_hours": 24, "horizon_tolerance": 0.25, "alpha": 0.05, "correction": "bh", "mde": 0.2,
			"planned_posts_per_variant": 584, "factors": ["post_time"], "version": 5, "created_at": "2026-09-01T08:00:00Z", "updated_at": "2026-09-20T08:00:00Z",
			"started_at": "2026-09-02T08:00:00Z", "concluded_at": "2026-09-20T08:00:00Z",
			"decision": {"result": "won", "winner_variant_key": "evening", "summary": "s", "report": {"experiment_id": "e1",
				"generated_at": "2026-09-20T08:00:00Z", "horizon_hours": 24, "alpha": 0.05, "correction": "bh", "what_if": false,
				"planned_posts_per_variant": 584, "metrics": [],
				"allocation": {"counts": {}, "expected_weights": {}, "chisq": null, "mismatch": false},
				"recommendation": {"variant_key": null, "reason": "r"}}}}`},
		{"Variant", `{"id": "v1", "experiment_id": "e1", "key": "evening", "name": "Evening", "is_control": false,
			"levels": {"post_time": "evening"}, "weight": 0, "hashtags": [], "created_at": "2026-09-01T08:00:00Z"}`},
		{"Variant", `{"id": "v1", "experiment_id": "e1", "key": "evening", "name": "Evening", "is_control": true,
			"levels": {}, "weight": 0.5, "hashtags": ["ForClimate"], "format": "video",
			"post_time": {"start": "19:00", "timezone": "Europe/Zurich"}, "created_at": "2026-09-01T08:00:00Z"}`},
		{"VariantList", `{"items": [], "next_cursor": null}`},
		{"Post", `{"id": "p1", "experiment_id": "e1", "variant_id": "v1", "variant_key": "evening", "platform": "tiktok",
			"account": "ifrc", "external_id": "7290012345678901234", "posted_at": "2026-09-14T17:05:00Z",
			"hashtags": [], "followers_at_post": null, "logged_in_draft": false, "created_at": "2026-09-14T18:00:00Z"}`},
		{"PostList", `{"items": [], "next_cursor": "opaque"}`},
		{"Snapshot", `{"post_id": "p1", "observed_at": "2026-09-15T17:05:00Z", "views": 10234, "reach": null, "likes": 801,
			"comments": 40, "shares": 96, "saves": 12, "followers_gained": null, "profile_views": null,
			"watch_time_seconds": null, "avg_watch_seconds": 7.5, "completion_rate": null, "custom": {"clicks": 3}}`},
		{"SnapshotBatchResult", `{"written": 1, "errors": []}`},
		{"ImportResult", `{"format": "tiktok", "dry_run": true, "partial": false, "rows": 3, "written": 2, "posts_created": 2, "skipped": 0,
			"failed": 1, "failures": [{"line": 4, "reason": "no variant for external_id 7290012345678901234"}]}`},
		// The import's 422 when rows failed: a problem that carries the import's counts too.
		{"ImportProblem", `{"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
			"detail": "1 of 3 rows failed, so nothing was written", "errors": [{"field": "line 4", "message": "no variant"}],
			"format": "csv", "dry_run": false, "partial": false, "rows": 3, "written": 2, "posts_created": 2, "skipped": 0,
			"failed": 1, "failures": [{"line": 4, "reason": "no variant"}]}`},
		// … and when the request itself was wrong, a plain problem.
		{"ImportProblem", `{"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "detail": "d",
			"errors": [{"field": "mapping", "message": "m"}]}`},
		{"Health", `{"status": "ok"}`},
		// A degenerate report: one treatment with too few posts, no test could run.
		{"Report", `{"experiment_id": "e1", "generated_at": "2026-09-20T08:00:00Z", "horizon_hours": null, "alpha": 0.05,
			"correction": "holm", "what_if": false, "planned_posts_per_variant": null,
			"metrics": [{"metric": "views", "kind": "count",
				"variants": [
					{"variant_id": "v0", "key": "morning", "is_control": true, "n_posts": 1, "n_immature": 2, "n_unobserved": 0, "n_no_rate": 0,
					 "mean": 100, "median": 100, "sd": null, "geo_mean": 100},
					{"variant_id": "v1", "key": "evening", "is_control": false, "n_posts": 0, "n_immature": 3, "n_unobserved": 1, "n_no_rate": 0,
					 "mean": null, "median": null, "sd": null, "geo_mean": null}],
				"comparisons": [{"variant_id": "v1", "key": "evening", "control_key": "morning", "method": "welch_log",
					"estimate": null, "ci_low": null, "ci_high": null, "lift": null, "lift_ci_low": null, "lift_ci_high": null,
					"statistic": null, "df": null, "p_value": null, "p_adjusted": null, "chance_to_beat": null,
					"expected_loss": null, "mann_whitney": null, "permutation": null, "by_account": [], "pooled": null,
					"n_excluded": 0, "accounts": [], "decision": "not_enough_data", "decision_final": false,
					"reasons": ["cannot test because a variant has fewer than 2 posts with a value at the horizon"],
					"looks": [], "planned_posts_per_variant": null, "exploratory": false, "posts_needed": null,
					"summary": "Not enough posts yet to compare Evening with Morning.",
					"reason": "each variant needs at least 2 posts with a value at the horizon"}],
				"omnibus": {"kruskal": null, "welch_anova": null},
				"chance_to_be_best": {},
				"factors": [],
				"warnings": [{"code": "immature_posts", "message": "5 posts are younger than the horizon and were left out."}]}],
			"allocation": {"counts": {"morning": 3, "evening": 4}, "expected_weights": {"morning": 0.5, "evening": 0.5},
				"chisq": null, "mismatch": false},
			"recommendation": {"variant_key": null, "reason": "keep posting: no variant has enough posts yet"}}`},
		// A full report on a count metric with two accounts, and a ratio metric.
		{"Report", `{"experiment_id": "e1", "generated_at": "2026-09-20T08:00:00Z", "horizon_hours": 24, "alpha": 0.05,
			"correction": "holm", "what_if": false, "planned_posts_per_variant": 40,
			"metrics": [{"metric": "views", "kind": "count",
				"variants": [{"variant_id": "v0", "key": "morning", "is_control": true, "n_posts": 20, "n_immature": 0,
					"n_unobserved": 1, "n_no_rate": 0, "mean": 5000, "median": 4200, "sd": 1200.5, "geo_mean": 4100.2}],
				"comparisons": [{"variant_id": "v1", "key": "evening", "control_key": "morning", "method": "lin_log",
					"estimate": 0.39, "ci_low": 0.11, "ci_high": 0.67, "lift": 0.48, "lift_ci_low": 0.12, "lift_ci_high": 0.95,
					"statistic": 2.9, "df": 37.2, "p_value": 0.004, "p_adjusted": 0.004, "chance_to_beat": 0.998,
					"expected_loss": 0.0001,
					"mann_whitney": {"statistic": 290, "p_value": 0.01, "hl_shift": 1500, "prob_superiority": 0.72},
					"permutation": {"p_value": 0.005, "permutations": 10000},
					"by_account": [{"account": "ifrc", "n_control": 10, "n_treatment": 10, "estimate": 0.4, "se": 0.2}],
					"pooled": {"estimate": 0.38, "se": 0.14, "ci_low": 0.1, "ci_high": 0.66, "p_value": 0.006, "tau2": 0, "i2": 0},
					"n_excluded": 3, "accounts": ["ifrc", "unicef"], "decision": "better", "decision_final": true,
					"reasons": ["look 2 of 4 crossed its threshold"],
					"looks": [{"look": 1, "posts_per_variant": 10, "p_value": 0.2, "p_unadjusted": 0.2, "nominal_level": 0.0000147,
						"crossed": false, "method": "lin_log", "estimate": 0.3, "lift": 0.35},
						{"look": 2, "posts_per_variant": 20, "p_value": 0.001, "p_unadjusted": 0.001, "nominal_level": 0.003,
						"crossed": true, "method": "lin_log", "estimate": 0.4, "lift": 0.49}],
					"planned_posts_per_variant": 40, "exploratory": false, "posts_needed": 18,
					"summary": "Evening video got 48% more views than Morning video (95% CI +12% to +95%); this is unlikely to be chance (p = 0.004)."}],
				"omnibus": {"kruskal": {"statistic": 8.1, "df": 1, "p_value": 0.004},
					"welch_anova": {"statistic": 8.4, "df1": 1, "df2": 37.2, "p_value": 0.006}},
				"chance_to_be_best": {"morning": 0.002, "evening": 0.998},
				"factors": [{"factor": "post_time", "f_statistic": 8.4, "df": 1, "p_value": 0.006,
					"levels": [{"level": "evening", "estimate": 0.39, "se": 0.13, "p_value": 0.006, "lift": 0.48}]}],
				"warnings": []},
				{"metric": "engagement_rate", "kind": "ratio",
				"variants": [{"variant_id": "v0", "key": "morning", "is_control": true, "n_posts": 20, "n_immature": 0,
					"n_unobserved": 1, "n_no_rate": 2, "mean": 0.08, "median": 0.07, "sd": 0.02, "rate": 0.079}],
				"comparisons": [{"variant_id": "v1", "key": "evening", "control_key": "morning", "method": "lin_rate",
					"estimate": 0.01, "ci_low": -0.01, "ci_high": 0.03, "lift": 0.12, "lift_ci_low": -0.1, "lift_ci_high": 0.34,
					"statistic": 1.1, "df": 36.5, "p_value": 0.28, "p_adjusted": 0.28, "chance_to_beat": 0.86,
					"expected_loss": 0.001, "n_excluded": 0, "accounts": ["ifrc", "unicef"], "decision": "inconclusive",
					"decision_final": false, "reasons": ["no look has crossed its threshold yet"], "looks": [],
					"planned_posts_per_variant": 40, "exploratory": true, "posts_needed": null, "summary": "…"}],
				"omnibus": null, "chance_to_be_best": {"morning": 0.14, "evening": 0.86}, "factors": [], "warnings": []}],
			"allocation": {"counts": {"morning": 21, "evening": 20}, "expected_weights": {"morning": 0.5, "evening": 0.5},
				"chisq": {"statistic": 0.02, "df": 1, "p_value": 0.88}, "mismatch": false},
			"recommendation": {"variant_key": "evening", "reason": "Evening got more views, and this is unlikely to be chance."}}`},
	}
	for _, c := range cases {
		if err := schemaOf(t, doc, c.schema).VisitJSON(decode(t, c.body), openapi3.VisitAsResponse(), openapi3.EnableFormatValidation()); err != nil {
			t.Errorf("%s should accept %.80s…: %v", c.schema, c.body, err)
		}
	}
	// A comparison whose decision is not one of the four is refused.
	bad := `{"variant_id": "v1", "key": "k", "control_key": "c", "method": "welch_log", "estimate": null, "ci_low": null,
		"ci_high": null, "lift": null, "lift_ci_low": null, "lift_ci_high": null, "statistic": null, "df": null,
		"p_value": null, "p_adjusted": null, "chance_to_beat": null, "expected_loss": null, "decision": "maybe",
		"posts_needed": null, "summary": "s"}`
	if err := schemaOf(t, doc, "Comparison").VisitJSON(decode(t, bad), openapi3.VisitAsResponse()); err == nil {
		t.Errorf("Comparison should refuse decision %q", "maybe")
	}
}

// walkSchemas calls fn for s and every schema reachable from it, once each.
func walkSchemas(s *openapi3.SchemaRef, where string, seen map[*openapi3.Schema]bool, fn func(where string, s *openapi3.Schema)) {
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	v := s.Value
	seen[v] = true
	fn(where, v)
	for _, group := range [][]*openapi3.SchemaRef{v.AllOf, v.OneOf, v.AnyOf} {
		for _, sub := range group {
			walkSchemas(sub, where, seen, fn)
		}
	}
	for name, p := range v.Properties {
		walkSchemas(p, where+"."+name, seen, fn)
	}
	walkSchemas(v.Items, where+"[]", seen, fn)
	walkSchemas(v.AdditionalProperties.Schema, where+"{}", seen, fn)
}

// TestOpenAPIGeneratedTypes keeps the contract readable by strict validators and by
// generators of client types (openapi-typescript, oapi-codegen).
func TestOpenAPIGeneratedTypes(t *testing.T) {
	doc := loadSpec(t)
	seen := map[*openapi3.Schema]bool{}
	for name, s := range doc.Components.Schemas {
		// nullable without type is skipped by strict validators (and is an error to Redocly).
		walkSchemas(s, name, seen, func(where string, v *openapi3.Schema) {
			if v.Nullable && v.Type == nil {
				t.Errorf("%s: nullable without a type", where)
			}
		})
	}
	operations(doc, func(method, path string, op *openapi3.Operation) {
		name := method + " " + path
		// A default makes openapi-typescript type the property as required, yet a client
		// may leave it out: request bodies state defaults in words instead.
		if op.RequestBody != nil {
			for mt, media := range op.RequestBody.Value.Content {
				walkSchemas(media.Schema, name+" "+mt, map[*openapi3.Schema]bool{}, func(where string, v *openapi3.Schema) {
					for prop, p := range v.Properties {
						if p.Value != nil && p.Value.Default != nil {
							t.Errorf("%s.%s: a request property with a default comes out required in generated types", where, prop)
						}
					}
				})
			}
		}
		// Every answer with a body says what the body is, so its generated type is not unknown.
		for status, resp := range op.Responses.Map() {
			for mt, media := range resp.Value.Content {
				if media.Schema == nil {
					t.Errorf("%s: %s %s has no schema", name, status, mt)
				}
			}
		}
	})
	// The contract itself is YAML text, not a JSON value.
	yaml := doc.Paths.Value("/openapi.yaml").Get.Responses.Status(200).Value.Content.Get("application/yaml")
	if yaml == nil || !yaml.Schema.Value.Type.Is("string") {
		t.Errorf("GET /openapi.yaml: 200 must be application/yaml text (type string)")
	}
	// The frozen report is a Report.
	frozen := schemaOf(t, doc, "Conclusion").Properties["report"]
	if frozen == nil || len(frozen.Value.AllOf) != 1 || frozen.Value.AllOf[0].Value != schemaOf(t, doc, "Report") {
		t.Errorf("Conclusion.report must be the Report schema")
	}
}

// TestSnapshotSchemasFollowTheCatalogue keeps the contract's snapshot schemas to the domain's
// one catalogue of snapshot metrics: every metric there, with its number type, and no other.
func TestSnapshotSchemasFollowTheCatalogue(t *testing.T) {
	doc := loadSpec(t)
	notMetrics := []string{"post_id", "platform", "external_id", "observed_at", "custom"}
	for _, name := range []string{"Snapshot", "SnapshotInput", "PostSnapshotInput"} {
		s := schemaOf(t, doc, name)
		for _, sm := range experiments.SnapshotMetrics {
			p := s.Properties[sm.Name]
			want := "number"
			if sm.Whole() {
				want = "integer"
			}
			if p == nil || p.Value == nil || !p.Value.Type.Is(want) {
				t.Errorf("%s.%s is missing or not of type %s", name, sm.Name, want)
			}
		}
		for prop := range s.Properties {
			if _, ok := experiments.SnapshotMetricByName(prop); !ok && !slices.Contains(notMetrics, prop) {
				t.Errorf("%s.%s is not in experiments.SnapshotMetrics", name, prop)
			}
		}
	}
}
