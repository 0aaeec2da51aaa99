package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"
)

// TestRequestParsing: what a strict reading of the contract refuses, and how.
func TestRequestParsing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, treatment := e.running("parse")
		draft := e.experiment("e1")
		post := e.post(exp, treatment, "333")
		editor := func(c call) call { c.key = e.editor; return c }
		cases := []struct {
			name   string
			call   call
			status int
			field  string
		}{
			{"PATCH null", call{method: "PATCH", path: "/v1/experiments/" + draft, raw: `null`}, 422, "body"},
			{"null name", call{method: "PATCH", path: "/v1/experiments/" + draft, specInvalid: true,
				body: map[string]any{"name": nil}}, 422, "name"},
			{"null account", call{method: "PATCH", path: "/v1/posts/" + post, specInvalid: true,
				body: map[string]any{"account": nil}}, 422, "account"},
			{"null in a batch row", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{{"post_id": post, "observed_at": nil, "views": 1}}}}, 422, "snapshots[0].observed_at"},
			{"null custom metric", call{method: "POST", path: "/v1/posts/" + post + "/snapshots", specInvalid: true, body: map[string]any{
				"observed_at": "2026-09-15T17:05:00Z", "custom": map[string]any{"clicks": nil}}}, 422, "custom.clicks"},
			{"null custom metric in a batch row", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "custom": map[string]any{"clicks": nil}}}}},
				422, "snapshots[0].custom.clicks"},
			{"empty correction", call{method: "POST", path: "/v1/experiments", specInvalid: true, body: map[string]any{
				"key": "empty-correction", "name": "n", "platform": "tiktok", "correction": ""}}, 422, "correction"},
			{"batch platform outside the enum", call{method: "POST", path: "/v1/snapshots:batch", specInvalid: true, body: map[string]any{
				"snapshots": []map[string]any{{"post_id": post, "platform": "myspace", "observed_at": "2026-09-15T17:05:00Z", "views": 1}}}},
				422, "snapshots[0].platform"},
			{"horizon with an exponent", call{method: "GET", path: "/v1/experiments/" + exp + "/report?horizon=1e2", specInvalid: true}, 400, "horizon"},
			{"horizon with an underscore", call{method: "GET", path: "/v1/experiments/" + exp + "/report?horizon=1_0", specInvalid: true}, 400, "horizon"},
			{"empty horizon", call{method: "GET", path: "/v1/experiments/" + exp + "/report?horizon=", specInvalid: true}, 400, "horizon"},
			{"hexadecimal alpha", call{method: "GET", path: "/v1/experiments/" + exp + "/report?alpha=0x1p-4", outsideContract: true}, 400, "alpha"},
			{"NaN alpha", call{method: "GET", path: "/v1/experiments/" + exp + "/report?alpha=NaN", outsideContract: true}, 400, "alpha"},
			{"import as JSON", call{method: "POST", path: "/v1/experiments/" + exp + "/import", raw: genericCSV,
				headers: map[string]string{"Content-Type": "application/json"}}, 415, ""},
			{"import format in capitals", call{method: "POST", path: "/v1/experiments/" + exp + "/import?format=CSV", raw: genericCSV,
				headers: map[string]string{"Content-Type": "text/csv"}}, 400, "format"},
			{"import format alias", call{method: "POST", path: "/v1/experiments/" + exp + "/import?format=jsonl", raw: genericCSV,
				headers: map[string]string{"Content-Type": "text/csv"}}, 400, "format"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.do(editor(c.call)).problem(c.status, c.field)
			})
		}

		// null stays allowed where the contract allows it: an unknown metric.
		e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{
			"snapshots": []map[string]any{{"post_id": post, "observed_at": "2026-09-15T17:05:00Z", "views": 1, "likes": nil}}}}).want(http.StatusOK)

		// A multipart upload cut short is the client's fault.
		var form bytes.Buffer
		w := multipart.NewWriter(&form)
		part, _ := w.CreateFormFile("file", "posts.csv")
		part.Write([]byte(genericCSV))
		w.Close()
		cut := form.String()[:form.Len()-len(w.Boundary())-20]
		e.importRaw(exp, "", w.FormDataContentType(), cut).problem(http.StatusBadRequest, "file")

		// An escaped path is decoded: e%31 is e1.
		got := e.do(call{method: "GET", path: "/v1/experiments/e%31", key: e.viewer}).want(http.StatusOK).field("key")
		if got != "e1" {
			t.Errorf("GET /v1/experiments/e%%31 answered experiment %q, want e1", got)
		}

		// A path that exists with another method is 405 with Allow; one that does not is 404.
		for path, want := range map[string]string{
			"/v1/experiments/" + draft: "GET, PATCH, DELETE",
			"/v1/keys":                 "GET, POST",
			"/v1/snapshots:batch":      "POST",
		} {
			r := e.do(call{method: "PUT", path: path, key: e.admin, outsideContract: true, raw: "{}"})
			r.problem(http.StatusMethodNotAllowed, "")
			if r.Header.Get("Allow") != want {
				t.Errorf("PUT %s: Allow = %q, want %q", path, r.Header.Get("Allow"), want)
			}
		}
		e.do(call{method: "GET", path: "/v1/nothing-here", key: e.viewer, outsideContract: true}).problem(http.StatusNotFound, "")
		e.do(call{method: "PUT", path: "/v1/nothing/here", key: e.viewer, outsideContract: true}).problem(http.StatusNotFound, "")
	})
}

// TestEscapedSlash holds an escaped slash for part of a path segment (RFC 3986 §2.2), not a
// separator: /v1/experiments/e1%2Freport names an experiment "e1/report", which cannot exist,
// and is not e1's report.
func TestEscapedSlash(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		e.experiment("e1")
		e.do(call{method: "GET", path: "/v1/experiments/e%31", key: e.viewer}).want(http.StatusOK)
		for _, path := range []string{"/v1/experiments/e1%2Freport", "/v1/experiments/e1%2freport",
			"/v1/experiments/e%31%2Fvariants"} {
			e.do(call{method: "GET", path: path, key: e.viewer, outsideContract: true}).problem(http.StatusNotFound, "")
		}
	})
}
