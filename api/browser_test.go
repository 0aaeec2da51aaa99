package api_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestDocsAndDashboard(t *testing.T) {
	e := corsEnv(t, "", false)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	e.do(call{method: "GET", path: "/openapi.json"}).want(http.StatusOK).decode(&doc)
	if doc.OpenAPI == "" || doc.Paths["/v1/experiments"] == nil || doc.Paths["/openapi.json"] == nil {
		t.Errorf("/openapi.json: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	body := func(res *http.Response) string {
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	res := send(t, http.MethodGet, e.srv.URL+"/docs", nil)
	page := body(res)
	if !strings.Contains(page, "/docs/redoc.standalone.js") || strings.Contains(page, "https://") {
		t.Errorf("/docs must load Redoc from the binary and nothing from elsewhere:\n%s", page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("/docs Content-Security-Policy = %q, want this origin only", csp)
	}
	// Redoc is big: it goes gzipped to browsers that take gzip, and as it is to others.
	plain := send(t, http.MethodGet, e.srv.URL+"/docs/redoc.standalone.js", map[string]string{"Accept-Encoding": "identity"})
	raw := body(plain)
	if plain.StatusCode != 200 || plain.Header.Get("Content-Encoding") != "" || !strings.Contains(plain.Header.Get("Content-Type"), "javascript") || len(raw) < 100000 {
		t.Fatalf("GET /docs/redoc.standalone.js = %d, Content-Encoding %q, Content-Type %q, %d bytes", plain.StatusCode,
			plain.Header.Get("Content-Encoding"), plain.Header.Get("Content-Type"), len(raw))
	}
	if strings.Contains(raw, "cdn.redoc.ly") {
		t.Errorf("the Redoc bundle still loads its logo from cdn.redoc.ly")
	}
	zipped := send(t, http.MethodGet, e.srv.URL+"/docs/redoc.standalone.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("ETag") == plain.Header.Get("ETag") ||
		!strings.Contains(strings.Join(zipped.Header.Values("Vary"), ","), "Accept-Encoding") || !strings.Contains(zipped.Header.Get("Content-Type"), "javascript") {
		t.Errorf("gzip answer: Content-Encoding %q, ETag %q (plain %q), Vary %q, Content-Type %q", zipped.Header.Get("Content-Encoding"),
			zipped.Header.Get("ETag"), plain.Header.Get("ETag"), zipped.Header.Get("Vary"), zipped.Header.Get("Content-Type"))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatalf("gzip answer: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || string(unzipped) != raw {
		t.Errorf("gzip answer unzips to %d bytes (%v), want the %d of the plain one", len(unzipped), err, len(raw))
	}

	index := send(t, http.MethodGet, e.srv.URL+"/", nil)
	indexBody := body(index)
	if index.StatusCode != 200 || !strings.Contains(indexBody, "<title>") || index.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET / = %d, Cache-Control %q", index.StatusCode, index.Header.Get("Cache-Control"))
	}
	// Hashed assets are kept for a year.
	asset := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(indexBody)
	if asset == "" {
		t.Fatalf("index.html names no script under /assets/:\n%s", indexBody)
	}
	if res := send(t, http.MethodGet, e.srv.URL+asset, nil); res.StatusCode != 200 ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s = %d, Cache-Control %q; want 200, immutable", asset, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	// An app route gets the app; a reload of it must not be a 404.
	route := send(t, http.MethodGet, e.srv.URL+"/experiments/some-key/report", nil)
	if route.StatusCode != 200 || body(route) != indexBody {
		t.Errorf("GET /experiments/some-key/report = %d, want index.html", route.StatusCode)
	}
	// The browser revalidates by ETag.
	again := send(t, http.MethodGet, e.srv.URL+"/", map[string]string{"If-None-Match": index.Header.Get("ETag")})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with its ETag = %d, want 304", again.StatusCode)
	}
	for _, p := range []string{"/assets/missing.js", "/v1/nothing-here", "/metrics", "/v2/experiments", "/experiments/x/report/extra"} {
		if res := send(t, http.MethodGet, e.srv.URL+p, nil); res.StatusCode != 404 && res.StatusCode != 401 {
			t.Errorf("GET %s = %d, want 404 (or 401 under /v1)", p, res.StatusCode)
		}
	}
}
