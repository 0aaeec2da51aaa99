package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestValidationErrors(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, treatment := e.running("errors")
		post := e.post(exp, treatment, "111")
		cases := []struct {
			name   string
			call   call
			status int
			field  string
		}{
			{"malformed JSON", call{method: "POST", path: "/v1/experiments", raw: `{"key": "x",`}, 400, "body"},
			{"not an object", call{method: "POST", path: "/v1/experiments", raw: `[1,2]`}, 400, "body"},
			{"two values", call{method: "POST", path: "/v1/experiments", raw: `{"key":"a"} {"key":"b"}`}, 400, "body"},
			{"unknown field", call{method: "POST", path: "/v1/experiments", specInvalid: true, body: map[string]any{
				"key": "a", "name": "A", "platform": "tiktok", "colour": "red"}}, 422, "colour"},
			{"wrong type", call{method: "POST", path: "/v1/experiments", specInvalid: true, body: map[string]any{
				"key": "a", "name": "A", "platform": "tiktok", "alpha": "small"}}, 422, "alpha"},
			{"bad enum", call{method: "POST", path: "/v1/experiments", specInvalid: true, body: map[string]any{
				"key": "a", "name": "A", "platform": "myspace"}}, 422, "platform"},
			{"bad metric", call{method: "POST", path: "/v1/experiments", body: map[string]any{
				"key": "a", "name": "A", "platform": "tiktok", "primary_metric": "vibes"}}, 422, "primary_metric"},
			{"bad key slug", call{method: "POST", path: "/v1/experiments", specInvalid: true, body: map[string]any{
				"key": "Not A Slug!", "name": "A", "platform": "tiktok"}}, 422, "key"},
			{"alpha out of range", call{method: "POST", path: "/v1/experiments", specInvalid: true, body: map[string]any{
				"key": "a", "name": "A", "platform": "tiktok", "alpha": 1.5}}, 422, "alpha"},
			{"duplicate key", call{method: "POST", path: "/v1/experiments", body: map[string]any{
				"key": "errors", "name": "A", "platform": "tiktok"}}, 409, ""},
			{"bad timestamp", call{method: "POST", path: "/v1/experiments/" + exp + "/posts", specInvalid: true, body: map[string]any{
				"variant_id": treatment, "account": "ifrc", "external_id": "222", "posted_at": "yesterday"}}, 422, "posted_at"},
			{"timestamp without offset", call{method: "POST", path: "/v1/experiments/" + exp + "/posts", specInvalid: true, body: map[string]any{
				"variant_id": treatment, "account": "ifrc", "external_id": "222", "posted_at": "2026-09-14T17:05:00"}}, 422, "posted_at"},
			{"unknown variant", call{method: "POST", path: "/v1/experiments/" + exp + "/posts", body: map[string]any{
				"variant_key": "noon", "account": "ifrc", "external_id": "222", "posted_at": "2026-09-14T17:05:00Z"}}, 422, "variant_key"},
			{"duplicate external id", call{method: "POST", path: "/v1/experiments/" + exp + "/posts", body: map[string]any{
				"variant_id": treatment, "account": "ifrc", "external_id": "111", "posted_at": "2026-09-14T17:05:00Z"}}, 409, ""},
			{"negative count", call{method: "POST", path: "/v1/posts/" + post + "/snapshots", specInvalid: true, body: map[string]any{
				"observed_at": "2026-09-15T17:05:00Z", "views": -5}}, 422, "views"},
			{"fractional count", call{method: "POST", path: "/v1/posts/" + post + "/snapshots", specInvalid: true, body: map[string]any{
				"observed_at": "2026-09-15T17:05:00Z", "views": 10.5}}, 422, "views"},
			{"rate above 1", call{method: "POST", path: "/v1/posts/" + post + "/snapshots", specInvalid: true, body: map[string]any{
				"observed_at": "2026-09-15T17:05:00Z", "completion_rate": 1.2}}, 422, "completion_rate"},
			{"observed before posted", call{method: "POST", path: "/v1/posts/" + post + "/snapshots", body: map[string]any{
				"observed_at": "2026-09-13T17:05:00Z", "views": 5}}, 422, "observed_at"},
			{"batch names the bad row", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": 1},
					{"post_id": post, "observed_at": "2026-09-15T18:05:00Z", "likes": -1}}}}, 422, "snapshots[1].likes"},
			{"batch names the row of a type error", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": 1},
					{"post_id": post, "observed_at": "2026-09-15T18:05:00Z", "views": 2},
					{"post_id": post, "observed_at": "2026-09-15T19:05:00Z", "views": 2},
					{"post_id": post, "observed_at": "2026-09-15T20:05:00Z", "views": "many"}}}}, 422, "snapshots[3].views"},
			{"batch names the row of an unknown field", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "colour": "red"}}}}, 422, "snapshots[0].colour"},
			{"batch names a row that is not an object", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []any{map[string]any{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": 1}, 7}}}, 422, "snapshots[1]"},
			{"batch with unknown post", call{method: "POST", path: "/v1/snapshots:batch", body: map[string]any{
				"snapshots": []map[string]any{{"post_id": "nope", "observed_at": "2026-09-15T17:05:00Z", "views": 1}}}}, 422, "snapshots[0].post_id"},
			{"empty batch", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{}}}, 422, "snapshots"},
			{"NUL in text", call{method: "POST", path: "/v1/experiments", body: map[string]any{
				"key": "nul", "name": "A\x00B", "platform": "tiktok"}}, 422, "body"},
			{"invalid UTF-8 in the path", call{method: "GET", path: "/v1/experiments/%FF%FE"}, 404, ""},
			{"NUL in a query value", call{method: "GET", path: "/v1/experiments?platform=%00", specInvalid: true}, 400, "platform"},
			{"bad limit", call{method: "GET", path: "/v1/experiments?limit=0", specInvalid: true}, 400, "limit"},
			{"bad status filter", call{method: "GET", path: "/v1/experiments?status=done", specInvalid: true}, 422, "status"},
			{"unknown post", call{method: "GET", path: "/v1/posts/00000000-0000-0000-0000-000000000000"}, 404, ""},
			{"unknown route", call{method: "GET", path: "/v1/experiments/" + exp + "/nothing-here", outsideContract: true}, 404, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := *e
				e.t = t
				tc.call.key = e.editor
				e.do(tc.call).problem(tc.status, tc.field)
			})
		}
		// Nothing of the failed batch was written.
		var snaps struct{ Items []any }
		e.do(call{method: "GET", path: "/v1/posts/" + post + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
		if len(snaps.Items) != 0 {
			t.Errorf("after failed writes the post has %d snapshots, want 0", len(snaps.Items))
		}
	})
}

func TestAuthAndRoles(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		r := e.do(call{method: "GET", path: "/v1/workspace"})
		r.problem(http.StatusUnauthorized, "")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: Bearer (got %q)", r.Header.Get("WWW-Authenticate"))
		}
		e.do(call{method: "GET", path: "/v1/workspace", key: "pl_not-a-real-key"}).problem(http.StatusUnauthorized, "")
		e.do(call{method: "GET", path: "/v1/workspace", key: "garbage"}).problem(http.StatusUnauthorized, "")

		// viewer reads, cannot write; editor writes, cannot manage keys; admin does all.
		e.do(call{method: "GET", path: "/v1/experiments", key: e.viewer}).want(http.StatusOK)
		e.do(call{method: "POST", path: "/v1/experiments", key: e.viewer, body: map[string]any{
			"key": "a", "name": "A", "platform": "tiktok"}}).problem(http.StatusForbidden, "")
		e.do(call{method: "GET", path: "/v1/keys", key: e.editor}).problem(http.StatusForbidden, "")
		e.do(call{method: "POST", path: "/v1/keys", key: e.editor, body: map[string]any{"name": "x", "role": "admin"}}).problem(http.StatusForbidden, "")
		e.do(call{method: "POST", path: "/v1/experiments", key: e.admin, body: map[string]any{
			"key": "a", "name": "A", "platform": "tiktok"}}).want(http.StatusCreated)

		var keys struct {
			Items []struct {
				ID, Role, Prefix string
				Hash             *string `json:"hash"`
			}
		}
		e.do(call{method: "GET", path: "/v1/keys", key: e.admin}).want(http.StatusOK).decode(&keys)
		if len(keys.Items) != 3 {
			t.Fatalf("keys = %d, want 3 (admin, editor, viewer)", len(keys.Items))
		}
		for _, k := range keys.Items {
			if k.Hash != nil || !strings.HasPrefix(k.Prefix, "pl_") {
				t.Errorf("key %s shows hash %v, prefix %q", k.ID, k.Hash, k.Prefix)
			}
		}
		// Revoking the viewer key shuts it out at once.
		viewerID := keys.Items[2].ID
		e.do(call{method: "DELETE", path: "/v1/keys/" + viewerID, key: e.admin}).want(http.StatusNoContent)
		e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer}).problem(http.StatusUnauthorized, "")
		e.do(call{method: "POST", path: "/v1/keys", key: e.admin, body: map[string]any{"name": "x", "role": "owner"}, specInvalid: true}).problem(http.StatusUnprocessableEntity, "role")
	})
}

// TestCrossWorkspace: another workspace's rows answer 404, exactly like rows that do not exist.
func TestCrossWorkspace(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, control, _ := e.running("theirs")
		post := e.post(exp, control, "999")
		other := e.workspace("other-org")
		otherKeys := e.do(call{method: "GET", path: "/v1/keys", key: other}).want(http.StatusOK)
		var ks struct{ Items []struct{ ID string } }
		otherKeys.decode(&ks)

		for _, c := range []call{
			{method: "GET", path: "/v1/experiments/" + exp},
			{method: "GET", path: "/v1/experiments/theirs"},
			{method: "PATCH", path: "/v1/experiments/" + exp, body: map[string]any{"name": "mine now"}},
			{method: "DELETE", path: "/v1/experiments/" + exp},
			{method: "POST", path: "/v1/experiments/" + exp + "/pause"},
			{method: "GET", path: "/v1/experiments/" + exp + "/variants"},
			{method: "PATCH", path: "/v1/experiments/" + exp + "/variants/" + control, body: map[string]any{"name": "x"}},
			{method: "POST", path: "/v1/experiments/" + exp + "/posts", body: map[string]any{
				"variant_id": control, "account": "a", "external_id": "1", "posted_at": "2026-09-14T17:05:00Z"}},
			{method: "GET", path: "/v1/experiments/" + exp + "/posts"},
			{method: "GET", path: "/v1/posts/" + post},
			{method: "PATCH", path: "/v1/posts/" + post, body: map[string]any{"caption": "x"}},
			{method: "DELETE", path: "/v1/posts/" + post},
			{method: "GET", path: "/v1/posts/" + post + "/snapshots"},
			{method: "POST", path: "/v1/posts/" + post + "/snapshots", body: map[string]any{"observed_at": "2026-09-15T17:05:00Z", "views": 1}},
			{method: "GET", path: "/v1/experiments/" + exp + "/report"},
			{method: "GET", path: "/v1/experiments/theirs/report/chart.svg"},
			{method: "GET", path: "/v1/experiments/" + exp + "/next"},
			{method: "GET", path: "/v1/experiments/" + exp + "/schedule"},
			{method: "POST", path: "/v1/experiments/" + exp + "/schedule", body: map[string]any{
				"start": "2026-09-14", "end": "2026-09-27", "accounts": []string{"ifrc"}, "posts_per_week": 2}},
			{method: "POST", path: "/v1/experiments/" + exp + "/conclude", body: map[string]any{"result": "lost"}},
		} {
			c.key = other
			e.do(c).problem(http.StatusNotFound, "")
		}
		// Nor can an admin revoke another workspace's key.
		e.do(call{method: "DELETE", path: "/v1/keys/" + ks.Items[0].ID, key: e.admin}).problem(http.StatusNotFound, "")
		// Nor can an import or a sample size reach their experiment.
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/import", key: other, raw: genericCSV,
			headers: map[string]string{"Content-Type": "text/csv"}}).problem(http.StatusNotFound, "")
		// …and a sample size from their experiment answers as from one that does not exist.
		const zero = "00000000-0000-0000-0000-000000000000"
		theirs := e.do(call{method: "POST", path: "/v1/plan/sample-size", key: other, body: map[string]any{
			"mde": 0.2, "baseline": map[string]any{"experiment": exp}}}).problem(http.StatusUnprocessableEntity, "baseline.experiment")
		none := e.do(call{method: "POST", path: "/v1/plan/sample-size", key: other, body: map[string]any{
			"mde": 0.2, "baseline": map[string]any{"experiment": zero}}}).problem(http.StatusUnprocessableEntity, "baseline.experiment")
		if strings.ReplaceAll(theirs.Detail, exp, zero) != none.Detail || len(theirs.Errors) != 1 ||
			strings.ReplaceAll(theirs.Errors[0].Message, exp, zero) != none.Errors[0].Message {
			t.Errorf("sample size from another workspace's experiment = %+v, from none = %+v; want the same answer", theirs, none)
		}
		// A batch naming their post fails as a bad row, and writes nothing.
		e.do(call{method: "POST", path: "/v1/snapshots:batch", key: other, body: map[string]any{
			"snapshots": []map[string]any{{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": 1}}}}).problem(http.StatusUnprocessableEntity, "snapshots[0].post_id")
		var list struct{ Items []any }
		e.do(call{method: "GET", path: "/v1/experiments", key: other}).want(http.StatusOK).decode(&list)
		if len(list.Items) != 0 {
			t.Errorf("other workspace lists %d experiments, want 0", len(list.Items))
		}
		// Their experiment is still whole.
		e.do(call{method: "GET", path: "/v1/posts/" + post, key: e.viewer}).want(http.StatusOK)
	})
}
