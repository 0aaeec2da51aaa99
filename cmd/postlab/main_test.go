package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestHelpListsEveryFlagAndVariable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--help"}, env(nil), &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
		t.Fatalf("run(--help) = %v, want flag.ErrHelp with exit code 0", err)
	}
	for _, want := range []string{"--addr", "--database-url", "DATABASE_URL", "POSTLAB_ADDR", "POSTLAB_LOG_LEVEL",
		"POSTLAB_BODY_LIMIT", "POSTLAB_IMPORT_LIMIT", "POSTLAB_RATE_LIMIT", "POSTLAB_RATE_BURST",
		"workspace create", "key create", "migrate", "stats eval"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("--help does not mention %s", want)
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

func TestServeBootstrapsAndShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars := env(map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "serve.db"), "POSTLAB_ADDR": addr})
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, vars, &stdout, &stderr) }()

	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil && res.StatusCode == http.StatusOK {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel = %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}
