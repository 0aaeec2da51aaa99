package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"postlab/api"
)

func TestParseCORSOrigins(t *testing.T) {
	tests := []struct {
		list    string
		creds   bool
		want    []string
		wantErr bool
	}{
		{list: "", want: nil},
		{list: "https://a.example, http://localhost:5173", want: []string{"https://a.example", "http://localhost:5173"}},
		{list: "HTTPS://A.Example", want: []string{"https://a.example"}},
		{list: "*", want: []string{"*"}},
		{list: "*", creds: true, wantErr: true},
		{list: "*, https://a.example", wantErr: true},
		{list: "https://a.example/path", wantErr: true},
		{list: "a.example", wantErr: true},
		{list: "ftp://a.example", wantErr: true},
		{list: "https://a.example", creds: true, want: []string{"https://a.example"}},
	}
	for _, tt := range tests {
		got, err := api.ParseCORSOrigins(tt.list, tt.creds)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCORSOrigins(%q, %v) error = %v, want error %v", tt.list, tt.creds, err, tt.wantErr)
			continue
		}
		if err == nil && strings.Join(got.Origins, " ") != strings.Join(tt.want, " ") {
			t.Errorf("ParseCORSOrigins(%q, %v) = %q, want %q", tt.list, tt.creds, got.Origins, tt.want)
		}
	}
}

// corsEnv starts a server on SQLite whose CORS allows the given origins.
func corsEnv(t *testing.T, origins string, creds bool) *env {
	t.Helper()
	opts := api.DefaultOptions()
	cors, err := api.ParseCORSOrigins(origins, creds)
	if err != nil {
		t.Fatal(err)
	}
	opts.CORS = cors
	return newEnv(t, "sqlite", opts)
}

func send(t *testing.T, method, url string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func preflight(origin string) map[string]string {
	return map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}
}

func TestCORSPreflightIsAnsweredBeforeAuthentication(t *testing.T) {
	e := corsEnv(t, "https://tools.example", false)
	res := send(t, http.MethodOptions, e.srv.URL+"/v1/experiments", preflight("https://tools.example"))
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight status = %d, want 204", res.StatusCode)
	}
	h := res.Header
	if got := h.Get("Access-Control-Allow-Origin"); got != "https://tools.example" {
		t.Errorf("Allow-Origin = %q, want the origin", got)
	}
	for _, want := range []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match"} {
		if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
			t.Errorf("Allow-Headers = %q, want %s among them", h.Get("Access-Control-Allow-Headers"), want)
		}
	}
	for _, want := range []string{"POST", "PATCH", "DELETE"} {
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), want) {
			t.Errorf("Allow-Methods = %q, want %s among them", h.Get("Access-Control-Allow-Methods"), want)
		}
	}
	if h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("Allow-Credentials sent though credentials are off")
	}
	if !strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("Vary = %q, want Origin: the answer depends on it", h.Get("Vary"))
	}
}

func TestCORSRefusesOtherOrigins(t *testing.T) {
	for name, origins := range map[string]string{"default": "", "listed": "https://tools.example"} {
		t.Run(name, func(t *testing.T) {
			e := corsEnv(t, origins, false)
			res := send(t, http.MethodOptions, e.srv.URL+"/v1/experiments", preflight("https://evil.example"))
			if res.StatusCode == http.StatusUnauthorized {
				t.Errorf("preflight answered 401: it reached authentication")
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Allow-Origin = %q for an origin not allowed", got)
			}
			res = send(t, http.MethodGet, e.srv.URL+"/healthz", map[string]string{"Origin": "https://evil.example"})
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" || res.StatusCode != 200 {
				t.Errorf("GET /healthz: status %d, Allow-Origin %q; want 200 and none", res.StatusCode, got)
			}
		})
	}
}

// A page on an allowed origin can read the problem+json of a failed request and the headers
// it needs (Retry-After, ETag, Location, RateLimit-*).
func TestCORSErrorsAreReadable(t *testing.T) {
	e := corsEnv(t, "*", false)
	res := send(t, http.MethodGet, e.srv.URL+"/v1/experiments", map[string]string{"Origin": "https://any.example",
		"Authorization": "Bearer wrong"})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", res.StatusCode)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Allow-Origin = %q, want *", got)
	}
	expose := res.Header.Get("Access-Control-Expose-Headers")
	for _, want := range []string{"ETag", "Location", "Retry-After", "RateLimit-Remaining", "RateLimit-Reset"} {
		if !strings.Contains(expose, want) {
			t.Errorf("Expose-Headers = %q, want %s among them", expose, want)
		}
	}
	var p struct{ Detail string }
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || p.Detail == "" {
		t.Errorf("body is not a problem with a detail: %v", err)
	}
	// A listed origin with credentials gets its own origin back, never "*".
	e = corsEnv(t, "https://tools.example", true)
	res = send(t, http.MethodGet, e.srv.URL+"/v1/workspace", map[string]string{"Origin": "https://tools.example",
		"Authorization": "Bearer " + e.viewer})
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://tools.example" ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("GET /v1/workspace: status %d, Allow-Origin %q, Allow-Credentials %q", res.StatusCode,
			res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("Access-Control-Allow-Credentials"))
	}
}
