package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"postlab/experiments"
	"postlab/store"
)

// env is a getenv of vars. POSTLAB_DB_TIMEOUT, unless vars name it, is a minute: these tests
// are not about the database timeout, and a loaded machine under the race detector is slow.
func env(vars map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok || k != "POSTLAB_DB_TIMEOUT" {
			return v
		}
		return "1m"
	}
}

func TestHelpListsEveryFlagAndVariable(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"key", "create", "-h"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, env(nil), &stdout, &stderr)
		if err != nil {
			t.Fatalf("run(%q) = %v, want nil", args, err)
		}
		if stderr.Len() > 0 {
			t.Errorf("run(%q) wrote %q on stderr, want the help on stdout alone", args, stderr.String())
		}
		for _, want := range []string{"--addr", "--database-url", "DATABASE_URL", "POSTLAB_ADDR", "POSTLAB_LOG_LEVEL",
			"POSTLAB_BODY_LIMIT", "POSTLAB_IMPORT_LIMIT", "POSTLAB_RATE_LIMIT", "POSTLAB_RATE_BURST",
			"workspace create", "workspace list", "key create", "key list", "key revoke", "migrate",
			"stats eval", "demo", "--version", "POSTLAB_DB_TIMEOUT", "POSTLAB_BODY_MIN_RATE", "POSTLAB_BODY_IDLE"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("run(%q) does not mention %s", args, want)
			}
		}
	}
}

// TestUsageErrorsTouchNoDatabase: a command line postlab does not understand answers with the
// usage on stderr and exit code 2, and leaves no database file behind.
func TestUsageErrorsTouchNoDatabase(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"bogus"}, {"--bogus"}, {"serve", "extra"}, {"workspace"}, {"workspace", "create"},
		{"workspace", "delete", "x"}, {"key", "create", "--role", "admin"}, {"key", "list"},
		{"key", "revoke", "--workspace", "ifrc"}, {"key", "rotate"}, {"stats"}, {"migrate", "--addr"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, env(nil), &stdout, &stderr)
		if !errors.Is(err, errUsage) || exitCode(err) != 2 {
			t.Errorf("run(%q) = %v (exit %d), want a usage error with exit code 2", args, err, exitCode(err))
		}
		if stdout.Len() > 0 || !strings.Contains(stderr.String(), "Usage:") {
			t.Errorf("run(%q) printed %q on stdout and %q on stderr, want the usage on stderr alone",
				args, stdout.String(), stderr.String())
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("usage errors left %v in the working folder", entries)
	}
}

func TestMistypedDatabaseURLIsAnError(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"migrate"},
		env(map[string]string{"DATABASE_URL": "postgress://postgres@127.0.0.1/postlab"}), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "postgress://") {
		t.Errorf("migrate with DATABASE_URL=postgress://… = %v, want an error naming the scheme", err)
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("a mistyped DATABASE_URL left %v in the working folder", entries)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, env(nil), &stdout, &stderr); err != nil {
			t.Fatalf("run(%q) = %v", args, err)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "postlab ") || !strings.HasPrefix(lines[1], "commit ") ||
			lines[2] != runtime.Version() {
			t.Errorf("run(%q) printed %q, want postlab VERSION, commit COMMIT and %s on three lines",
				args, stdout.String(), runtime.Version())
		}
	}
}

var keyLine = regexp.MustCompile(`^pl_[0-9a-f]{48}\n$`)

func TestWorkspaceAndKeyCommandsPrintTheKeyAlone(t *testing.T) {
	vars := env(map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "cli.db")})
	ctx := context.Background()
	var out, logs bytes.Buffer
	if err := run(ctx, []string{"workspace", "create", "ifrc"}, vars, &out, &logs); err != nil {
		t.Fatalf("workspace create: %v\n%s", err, logs.String())
	}
	if !keyLine.MatchString(out.String()) {
		t.Errorf("workspace create printed %q, want the key alone", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"key", "create", "--workspace", "ifrc", "--role", "viewer"}, vars, &out, &logs); err != nil {
		t.Fatalf("key create: %v", err)
	}
	if !keyLine.MatchString(out.String()) {
		t.Errorf("key create printed %q, want the key alone", out.String())
	}
	for _, args := range [][]string{
		{"key", "create", "--workspace", "ifrc", "--role", "owner"},
		{"key", "create", "--workspace", "nobody", "--role", "viewer"},
		{"workspace", "create", "ifrc"},
		{"frobnicate"},
	} {
		out.Reset()
		if err := run(ctx, args, vars, &out, &logs); err == nil || out.Len() > 0 {
			t.Errorf("run(%q) = %v, printed %q; want an error and nothing on stdout", args, err, out.String())
		}
	}
	if err := run(ctx, []string{"migrate"}, vars, &out, &logs); err != nil {
		t.Errorf("migrate on a migrated database: %v", err)
	}
}

func TestWorkspaceListKeyListAndRevoke(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "keys.db")
	vars := env(map[string]string{"DATABASE_URL": dbPath})
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out, logs bytes.Buffer
		err := run(ctx, args, vars, &out, &logs)
		return out.String(), err
	}
	mustCLI := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("run(%q) = %v", args, err)
		}
		return out
	}
	admin := strings.TrimSpace(mustCLI("workspace", "create", "ifrc"))
	mustCLI("workspace", "create", "kenyaredcross")
	viewer := strings.TrimSpace(mustCLI("key", "create", "--workspace", "ifrc", "--role", "viewer", "--name", "Ana"))

	list := mustCLI("workspace", "list")
	if i, j := strings.Index(list, "ifrc"), strings.Index(list, "kenyaredcross"); i < 0 || j < i {
		t.Errorf("workspace list = %q, want ifrc then kenyaredcross", list)
	}

	keys := mustCLI("key", "list", "--workspace", "ifrc")
	for _, secret := range []string{admin, viewer} {
		if strings.Contains(keys, secret[len("pl_"):len("pl_")+12]) {
			t.Errorf("key list shows more of a secret than its prefix:\n%s", keys)
		}
		if !strings.Contains(keys, secret[:9]) {
			t.Errorf("key list does not show the prefix %s:\n%s", secret[:9], keys)
		}
	}
	if got := keyRow(t, keys, viewer[:9]); got[1] != "viewer" || got[2] != "Ana" || got[5] != "-" {
		t.Errorf("key list row of Ana's key = %q, want viewer, Ana, not revoked", got)
	}

	if out := mustCLI("key", "revoke", "--workspace", "ifrc", viewer[:9]); !strings.Contains(out, "Revoked key "+viewer[:9]) ||
		!strings.Contains(out, "refuse it within 30s") {
		// A server trusts a verified key for a while: the operator must not believe it is refused at once.
		t.Errorf("key revoke printed %q, want the key and how soon running servers refuse it", out)
	}
	if got := keyRow(t, mustCLI("key", "list", "--workspace", "ifrc"), viewer[:9]); got[5] == "-" {
		t.Errorf("after revoke, key list row = %q, want a revocation time", got)
	}
	db, err := store.Open(ctx, dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := experiments.NewService(db, nil, nil, nil)
	if _, err := svc.Authenticate(ctx, viewer); err == nil {
		t.Error("a revoked key still authenticates")
	}
	if _, err := svc.Authenticate(ctx, admin); err != nil {
		t.Errorf("revoking Ana's key broke the admin key: %v", err)
	}
	if _, err := cli("key", "revoke", "--workspace", "kenyaredcross", admin[:9]); err == nil || errors.Is(err, errUsage) {
		t.Errorf("revoking ifrc's key through kenyaredcross = %v, want a not-found error", err)
	}
}

// keyRow returns the fields of the key list row that starts with prefix.
func keyRow(t *testing.T, list, prefix string) []string {
	t.Helper()
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) == 7 && f[0] == prefix {
			return f
		}
	}
	t.Fatalf("key list has no row for %s:\n%s", prefix, list)
	return nil
}

// syncBuffer is a bytes.Buffer safe to read while the server goroutine writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// servingAddr waits for the log line that says where the server listens.
func servingAddr(t *testing.T, logs *syncBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var entry struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "serving" && entry.Addr != "" {
				return entry.Addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before listening: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve logged no address:\n%s", logs.String())
	return ""
}

// TestServeBootstrapsAndShutsDownGracefully listens on a port the system picks, uses the
// printed admin key, then ends the context (as SIGTERM does) while a request is still sending
// its body: that request must be answered and written, and run must return nil.
func TestServeBootstrapsAndShutsDownGracefully(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "serve.db")
	vars := env(map[string]string{"DATABASE_URL": dbPath, "POSTLAB_ADDR": "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, vars, &stdout, &stderr) }()
	base := "http://" + servingAddr(t, &stderr, done)

	key := regexp.MustCompile(`pl_[0-9a-f]{48}`).FindString(stdout.String())
	if key == "" || !strings.Contains(stdout.String(), "Authorization: Bearer") {
		t.Fatalf("first start did not print an admin key with how to use it:\n%s", stdout.String())
	}
	req, _ := http.NewRequest("GET", base+"/v1/workspace", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/workspace with the printed key: %v %v", err, res)
	}
	res.Body.Close()

	// A request in flight: its body arrives in two parts, the shutdown between them. It goes
	// on a raw connection, behind a first request whose answer shows that the server holds
	// the connection (http.Client would dial only once it has probed the body).
	first, rest := `{"name": "late",`, ` "role": "viewer"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: postlab\r\n\r\n"+
		"POST /v1/keys HTTP/1.1\r\nHost: postlab\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", key, len(first)+len(rest), first)
	replies := bufio.NewReader(conn)
	if res, err := http.ReadResponse(replies, nil); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz before the in-flight request: %v %v", err, res)
	} else {
		io.Copy(io.Discard, res.Body)
	}
	time.Sleep(100 * time.Millisecond) // the server reads the second request's header
	cancel()
	select {
	case err := <-done:
		t.Fatalf("serve returned %v while a request was in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	if res, err := http.Get(base + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("a new connection was accepted after shutdown began")
	}
	if _, err := io.WriteString(conn, rest); err != nil {
		t.Fatal(err)
	}
	res, err = http.ReadResponse(replies, nil)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("in-flight POST /v1/keys = %v, %v; want 201", res, err)
	}
	res.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel = %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	var out, logs bytes.Buffer
	if err := run(context.Background(), []string{"key", "list", "--workspace", "default"}, vars, &out, &logs); err != nil ||
		!strings.Contains(out.String(), " late ") {
		t.Errorf("the key created by the in-flight request is not stored (%v):\n%s", err, out.String())
	}
}
