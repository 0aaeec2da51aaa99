package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// postlabBinary builds cmd/postlab once for the package's tests.
func postlabBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "postlab-fault-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "postlab")
		// Without -race even under go test -race: the race detector slows the server several
		// times over, past what the tests' bounds mean; its code runs under -race in api's tests.
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/postlab").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/postlab: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// instance is a postlab process started by a test.
type instance struct {
	t      testing.TB
	cmd    *exec.Cmd
	url    string
	key    string // the admin key it printed when it bootstrapped an empty database
	exited chan error
	stderr *bytes.Buffer
}

// startPostlab runs the binary on databaseURL with env added, and waits until it serves.
func startPostlab(t testing.TB, databaseURL string, env ...string) *instance {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(postlabBinary(t), "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), append([]string{"DATABASE_URL=" + databaseURL, "POSTLAB_RATE_LIMIT=0",
		"POSTLAB_LOG_LEVEL=warn"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	inst := &instance{t: t, cmd: cmd, url: "http://" + addr, exited: make(chan error, 1), stderr: &bytes.Buffer{}}
	cmd.Stderr = &lockedWriter{w: inst.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	keys := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "pl_") {
				keys <- line
			}
		}
		close(keys)
	}()
	go func() { inst.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-inst.exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(inst.url + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("postlab did not start: %v\n%s", err, inst.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A bootstrapping instance prints its key before it listens: by now it is written, if at all.
	select {
	case inst.key = <-keys:
	case <-time.After(300 * time.Millisecond):
	}
	return inst
}

func (i *instance) logs() string {
	w := i.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return i.stderr.String()
}

// signal sends sig to the process.
func (i *instance) signal(sig syscall.Signal) {
	i.t.Helper()
	if err := i.cmd.Process.Signal(sig); err != nil {
		i.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit error.
func (i *instance) wait(d time.Duration) error {
	i.t.Helper()
	select {
	case err := <-i.exited:
		return err
	case <-time.After(d):
		i.t.Fatalf("postlab did not exit within %s", d)
		return nil
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// answer is one HTTP exchange as a test sees it.
type answer struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
	err    error // the request got no answer (connection refused or reset)
}

// client talks to one postlab with one key.
type client struct {
	url string
	key string
	hc  *http.Client
}

func newClient(url, key string, timeout time.Duration) *client {
	return &client{url: url, key: key, hc: &http.Client{Timeout: timeout}}
}

func (c *client) do(method, path string, body any, headers ...string) answer {
	return c.doTraced(context.Background(), method, path, body, headers...)
}

// doTraced is do with ctx, which may carry an httptrace.ClientTrace.
func (c *client) doTraced(ctx context.Context, method, path string, body any, headers ...string) answer {
	var r io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r, contentType = strings.NewReader(b), "text/csv"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return answer{err: err}
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, r)
	if err != nil {
		return answer{err: err}
	}
	if r != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	began := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(began)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b, took: time.Since(began), err: err}
}

// must fails the test unless the answer has status want, and decodes its body into out.
func (c *client) must(t testing.TB, want int, method, path string, body, out any) {
	t.Helper()
	a := c.do(method, path, body)
	if a.err != nil || a.status != want {
		t.Fatalf("%s %s = %d %v, want %d: %s", method, path, a.status, a.err, want, a.body)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// runningExperiment creates a started experiment with two variants; it returns the
// experiment's id and the variants' ids.
func (c *client) runningExperiment(t testing.TB, key string) (exp string, variants [2]string) {
	t.Helper()
	var e struct{ ID string }
	c.must(t, http.StatusCreated, "POST", "/v1/experiments", map[string]any{"key": key, "name": key,
		"platform": "tiktok", "primary_metric": "views", "factors": []string{"post_time"}}, &e)
	for i, v := range []string{"morning", "evening"} {
		var out struct{ ID string }
		c.must(t, http.StatusCreated, "POST", "/v1/experiments/"+e.ID+"/variants", map[string]any{
			"key": v, "name": v, "is_control": i == 0, "levels": map[string]string{"post_time": v}}, &out)
		variants[i] = out.ID
	}
	c.must(t, http.StatusOK, "POST", "/v1/experiments/"+e.ID+"/start", nil, nil)
	return e.ID, variants
}

// allPosts lists the external ids of every post of the experiment.
func (c *client) allPosts(t testing.TB, exp string) []string {
	t.Helper()
	var ids []string
	for _, p := range listAll[struct {
		ExternalID string `json:"external_id"`
	}](t, c, "/v1/experiments/"+exp+"/posts?limit=200") {
		ids = append(ids, p.ExternalID)
	}
	return ids
}

// listAll reads a list page by page (path carries its query) and returns every item.
func listAll[T any](t testing.TB, c *client, path string) []T {
	t.Helper()
	var out []T
	cursor := ""
	for {
		var page struct {
			Items      []T     `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		c.must(t, http.StatusOK, "GET", p, nil, &page)
		out = append(out, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return out
		}
		cursor = *page.NextCursor
	}
}

// logPosts logs n posts of the experiment on account ifrc, alternating the two variants, and
// returns their ids.
func (c *client) logPosts(t testing.TB, exp string, variants [2]string, n int, prefix string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		var p struct{ ID string }
		c.must(t, http.StatusCreated, "POST", "/v1/experiments/"+exp+"/posts", map[string]any{"variant_id": variants[i%2],
			"account": "ifrc", "external_id": fmt.Sprint(prefix, i), "posted_at": "2026-01-01T00:00:00Z"}, &p)
		ids[i] = p.ID
	}
	return ids
}
