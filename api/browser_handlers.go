package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"postlab/web"
)

// browserRoutes serves what a browser opens: the API docs (/docs, rendered by Redoc from
// /openapi.json) and the dashboard at / with its assets.
func (s *Server) browserRoutes(e *echo.Echo) error {
	spec, err := openAPIJSON(s.opts.OpenAPI)
	if err != nil {
		return err
	}
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, spec)
	})
	e.GET("/docs", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		// Redoc styles itself inline and searches in a worker made from a blob.
		c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "+
			"style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src blob:; connect-src 'self'; base-uri 'none'")
		return c.HTMLBlob(http.StatusOK, []byte(docsPage))
	})
	d, err := embeddedDashboard()
	if err != nil {
		return err
	}
	e.GET("/*", d.serve)
	e.HEAD("/*", d.serve)
	return nil
}

// openAPIJSON converts the YAML contract to JSON once, at start.
func openAPIJSON(yaml []byte) ([]byte, error) {
	if len(yaml) == 0 {
		return []byte("{}"), nil
	}
	doc, err := openapi3.NewLoader().LoadFromData(yaml)
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI contract: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("convert the OpenAPI contract to JSON: %w", err)
	}
	return b, nil
}

// docsPage renders the contract with Redoc. Its bundle is served from the binary and no web
// font is asked for, so the page works offline and tells no third party who reads it.
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>postlab API</title>
<style>body{margin:0}</style>
</head>
<body>
<div id="redoc"></div>
<script src="/docs/redoc.standalone.js"></script>
<script>
Redoc.init("/openapi.json", {
  hideDownloadButton: false,
  theme: { typography: { fontFamily: "system-ui, sans-serif", headings: { fontFamily: "system-ui, sans-serif" },
           code: { fontFamily: "ui-monospace, monospace" } } }
}, document.getElementById("redoc"));
</script>
</body>
</html>
`

// dashboardCSP lets the dashboard load only its own files and call only its own origin.
const dashboardCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// dashboard serves the built single-page app. Files under assets/ carry a content hash in
// their names, so browsers may keep them for a year; everything else is revalidated by ETag.
// A path that names no file gets index.html, so that the app's own routes (/experiments/…)
// survive a reload. Text files are gzipped once, when first served.
type dashboard struct {
	files map[string]staticFile
}

type staticFile struct {
	raw, gz []byte // gz is nil when gzip would not make the file smaller
	etag    string
}

// embeddedDashboard reads and compresses the embedded build once per process.
var embeddedDashboard = sync.OnceValues(func() (*dashboard, error) { return newDashboard(web.Dist()) })

var compressible = map[string]bool{".html": true, ".js": true, ".css": true, ".svg": true, ".txt": true, ".json": true}

func newDashboard(files fs.FS) (*dashboard, error) {
	d := &dashboard{files: map[string]staticFile{}}
	err := fs.WalkDir(files, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		f := staticFile{raw: b, etag: hex.EncodeToString(sum[:8])}
		if compressible[path.Ext(p)] {
			if f.gz, err = gzipped(b); err != nil {
				return err
			}
		}
		d.files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the embedded dashboard: %w", err)
	}
	return d, nil
}

func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if buf.Len() >= len(b) {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// isAppRoute reports whether a path (without its leading slash) is one of the dashboard's own
// pages, which the app draws from index.html: the experiments list, an experiment and its
// report and schedule, learnings, and the key page. Any other path is the server's (/metrics
// when it is off, a mistyped /v2/…) and answers 404.
func isAppRoute(name string) bool {
	parts := strings.Split(name, "/")
	switch parts[0] {
	case ".", "", "learnings", "key":
		return len(parts) == 1
	case "experiments":
		return len(parts) == 1 || (len(parts) <= 3 && parts[1] != "" &&
			(len(parts) == 2 || parts[2] == "report" || parts[2] == "schedule"))
	}
	return false
}

func (d *dashboard) serve(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	f, ok := d.files[name]
	if !ok {
		if !isAppRoute(name) {
			return echo.ErrNotFound // a missing file, not one of the app's pages: say so
		}
		name = "index.html"
		if f, ok = d.files[name]; !ok {
			return echo.ErrNotFound // no dashboard was built into this binary
		}
	}
	h := c.Response().Header()
	if strings.HasPrefix(name, "assets/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasSuffix(name, ".html") {
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", dashboardCSP)
	}
	body, etag := f.raw, f.etag
	if f.gz != nil {
		h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
		if acceptsGzip(c.Request().Header.Get(echo.HeaderAcceptEncoding)) {
			body, etag = f.gz, f.etag+"-gz" // another representation, another tag
			h.Set(echo.HeaderContentEncoding, "gzip")
		}
	}
	h.Set("ETag", `"`+etag+`"`)
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set(echo.HeaderContentType, ct) // named before ServeContent could sniff the gzip bytes
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(body))
	return nil
}

// acceptsGzip reads Accept-Encoding well enough for browsers: gzip listed and not refused with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
