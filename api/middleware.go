package api

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"postlab/experiments"
)

const principalKey = "principal"

// principal returns who is acting; authenticate has put it there.
func principal(c echo.Context) experiments.Principal {
	p, _ := c.Get(principalKey).(experiments.Principal)
	return p
}

// logRequests writes one line per request, and counts it in the metrics. It never logs
// headers: they carry API keys.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // render now, so the status below is the one sent
		}
		took := time.Since(start)
		status := c.Response().Status
		level := slog.LevelInfo
		switch {
		case status == statusClientClosed:
			level = slog.LevelWarn
		case status >= 500:
			level = slog.LevelError
		}
		s.logger.Log(c.Request().Context(), level, "request", "method", c.Request().Method,
			"route", c.Path(), "status", status, "latency_ms", took.Milliseconds())
		s.metrics.observe(c, status, took)
		return nil
	}
}

// recoverPanics turns a panic in a handler into a 500 problem, logged with its stack.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r) // net/http aborts the response on purpose: let it
				}
				s.logger.ErrorContext(c.Request().Context(), "panic", "route", c.Path(), "error", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// checkText refuses path and query values that no database column can hold: invalid UTF-8
// or NUL characters (PostgreSQL rejects both, which would otherwise surface as a 500). No row
// can have such an id, so a path holding one is answered 404.
func checkText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for i, name := range c.ParamNames() {
			if v := c.ParamValues()[i]; !cleanText(v) {
				return experiments.Errorf(experiments.ENOTFOUND, "no such %s", strings.TrimSuffix(name, "_id"))
			}
		}
		for name, values := range c.QueryParams() {
			for _, v := range values {
				if !cleanText(v) || !cleanText(name) {
					return badRequest(name, "must be valid UTF-8 text without NUL characters")
				}
			}
		}
		return next(c)
	}
}

func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// refuseEmptyQuery answers 400 to a query parameter of the API sent without a value (?limit=,
// ?dry_run): the contract allows no empty value, and taking one for an absent parameter would
// let a client's mistake, such as an unset variable in a URL template, pass unnoticed.
func refuseEmptyQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := c.QueryParams()
		for _, name := range slices.Sorted(maps.Keys(q)) {
			if slices.Contains(q[name], "") {
				return badRequest(name, "must not be empty: give a value, or leave the parameter out")
			}
		}
		return next(c)
	}
}

// requireRole answers 403 unless the key's role allows need.
func requireRole(need experiments.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := principal(c); !p.Role.Allows(need) {
				return experiments.Errorf(experiments.EFORBIDDEN, "this needs an %s key; this key is %s", need, p.Role)
			}
			return next(c)
		}
	}
}

// tokenBuckets keeps a token bucket per name (an API key, a client address) in this
// instance's memory: with N instances behind a balancer a name gets up to N times the rate
// (documented in README). At most maxBuckets are kept; buckets that have refilled are dropped
// first.
type tokenBuckets struct {
	mu      sync.Mutex
	perSec  float64
	burst   int
	buckets map[string]*rate.Limiter
}

const maxBuckets = 10000

func newTokenBuckets(perSec float64, burst int) *tokenBuckets {
	return &tokenBuckets{perSec: perSec, burst: burst, buckets: map[string]*rate.Limiter{}}
}

// off reports whether the limit is turned off (a rate of 0).
func (b *tokenBuckets) off() bool { return b.perSec <= 0 }

// bucket returns name's bucket; create makes a full one when there is none (else nil).
func (b *tokenBuckets) bucket(name string, now time.Time, create bool) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.buckets[name]
	if ok || !create {
		return l
	}
	if len(b.buckets) >= maxBuckets {
		for n, full := range b.buckets {
			if full.TokensAt(now) >= float64(b.burst) {
				delete(b.buckets, n)
			}
		}
		if len(b.buckets) >= maxBuckets {
			clear(b.buckets)
		}
	}
	l = rate.NewLimiter(rate.Limit(b.perSec), b.burst)
	b.buckets[name] = l
	return l
}

// take spends a token of name's bucket and says how long to wait when there was none; 0
// lets the request through now.
func (b *tokenBuckets) take(name string, now time.Time) time.Duration {
	if b.off() {
		return 0
	}
	res := b.bucket(name, now, true).ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// waitFor says how long name must wait for a token, spending none; 0 when it has one.
func (b *tokenBuckets) waitFor(name string, now time.Time) time.Duration {
	if b.off() {
		return 0
	}
	l := b.bucket(name, now, false)
	if l == nil {
		return 0
	}
	if tokens := l.TokensAt(now); tokens < 1 {
		return time.Duration((1 - tokens) / b.perSec * float64(time.Second))
	}
	return 0
}

// spend takes one token of name's bucket, whether or not there was one.
func (b *tokenBuckets) spend(name string, now time.Time) {
	if !b.off() {
		b.bucket(name, now, true).AllowN(now, 1)
	}
}

func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if d := s.limiter.take(principal(c).KeyID, time.Now()); d > 0 {
			return tooManyRequests(c, d, "too many requests with this key; wait as Retry-After says")
		}
		return next(c)
	}
}
