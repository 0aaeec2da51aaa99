package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBodyMediaType: a JSON body must say it is JSON. One without a Content-Type, or with
// another type, is 415 as the contract has it, never read as JSON by guess.
func TestBodyMediaType(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		body := `{"key": "ct", "name": "Media types", "platform": "tiktok"}`
		req, err := http.NewRequest("POST", e.srv.URL+"/v1/experiments", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.editor)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("POST /v1/experiments without Content-Type = %d %s, want 415 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "json"} {
			e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, raw: body,
				headers: map[string]string{"Content-Type": ct}}).problem(http.StatusUnsupportedMediaType, "")
		}
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, raw: body,
			headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}).want(http.StatusCreated)
	})
}
