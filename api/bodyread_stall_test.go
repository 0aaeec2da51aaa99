package api_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"postlab/api"
	"postlab/store/storetest"
)

// TestStalledBodyIsAnswered: a client that sends part of a body and then nothing (or a byte now
// and then) gets its answer within the read limits, and the connection is closed. The server
// must not wait for the rest of the body after the handler has answered: net/http reads what is
// left of a small body before it writes the answer, and without a deadline that read waits for
// as long as the client likes. Both a body cut off while it is read (408) and one the handler
// answers without reading (401) are held to the limits.
func TestStalledBodyIsAnswered(t *testing.T) {
	services, h := wire(t, storetest.Open(t, "sqlite"), nil, slog.New(slog.DiscardHandler), api.DefaultOptions())
	svc := services.Experiments
	srv := httptest.NewServer(api.WithBodyReadLimits(h, api.BodyReadLimits{MinRate: 1 << 20, Idle: 300 * time.Millisecond}))
	t.Cleanup(srv.Close)
	_, admin, err := svc.CreateWorkspace(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, auth string
		want       int
	}{
		{"body cut off while read", "Authorization: Bearer " + admin + "\r\n", 0}, // 408, or 400 where a decoder words it so
		{"body never read", "", http.StatusUnauthorized},
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// 1,000 bytes announced, 11 sent, and then silence.
		fmt.Fprintf(conn, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"key\": \"a\"", tt.auth)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: no answer %v after the body stalled (%v); want one within the 300ms limit", tt.name, time.Since(start).Round(time.Millisecond), err)
			continue
		}
		res.Body.Close()
		if (tt.want != 0 && res.StatusCode != tt.want) || res.StatusCode < 400 || res.StatusCode >= 500 ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: answer %d %s, want a 4xx (%d) problem+json", tt.name, res.StatusCode, res.Header.Get("Content-Type"), tt.want)
		}
		if !res.Close {
			t.Errorf("%s: the connection stays open with the rest of the body unread", tt.name)
		}
	}
}
