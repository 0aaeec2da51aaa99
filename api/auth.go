package api

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// KeyCacheTTL bounds how long a verified key is trusted without asking the database. A key
// revoked through another instance (or the command line) keeps working here for at most this
// long; revoking through this instance forgets it at once.
const KeyCacheTTL = 30 * time.Second

// keyCacheSize bounds the cache; when it is full, expired entries go, and if none had, all.
const keyCacheSize = 10000

// authenticate resolves the bearer key to a principal, or answers 401. A verified key is cached
// for KeyCacheTTL, so that an authenticated request costs no query of its own. Before any
// database work, a client address that has sent too many invalid keys is answered 429.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(auth, " ")
		secret = strings.TrimSpace(secret)
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return experiments.Errorf(experiments.EUNAUTHORIZED, "send an API key as Authorization: Bearer <key>")
		}
		hash := experiments.HashKey(secret)
		now := time.Now()
		p, ok := s.keys.get(hash, now)
		if !ok {
			addr := clientAddress(c.Request())
			if d := s.badKeys.waitFor(addr, now); d > 0 {
				return tooManyRequests(c, d, "too many requests with invalid API keys from this address; wait as Retry-After says")
			}
			var err error
			if p, err = s.svc.Authenticate(c.Request().Context(), secret); err != nil {
				if experiments.ErrorCode(err) == experiments.EUNAUTHORIZED {
					s.badKeys.spend(addr, now)
				}
				return err
			}
			s.keys.put(hash, p, now)
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func tooManyRequests(c echo.Context, wait time.Duration, detail string) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return writeProblem(c, newProblem(http.StatusTooManyRequests, detail, nil))
}

// keyCache holds verified keys by the hash of their secret (never the secret itself).
type keyCache struct {
	mu      sync.Mutex
	entries map[string]cachedKey
}

type cachedKey struct {
	p       experiments.Principal
	expires time.Time
}

func (k *keyCache) get(hash string, now time.Time) (experiments.Principal, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.entries[hash]
	if !ok || now.After(e.expires) {
		return experiments.Principal{}, false
	}
	return e.p, true
}

func (k *keyCache) put(hash string, p experiments.Principal, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.entries == nil {
		k.entries = map[string]cachedKey{}
	}
	if len(k.entries) >= keyCacheSize {
		for h, e := range k.entries {
			if now.After(e.expires) {
				delete(k.entries, h)
			}
		}
		if len(k.entries) >= keyCacheSize {
			clear(k.entries)
		}
	}
	k.entries[hash] = cachedKey{p: p, expires: now.Add(KeyCacheTTL)}
}

// forget drops the key with this id, whatever its secret.
func (k *keyCache) forget(keyID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for h, e := range k.entries {
		if e.p.KeyID == keyID {
			delete(k.entries, h)
		}
	}
}

// clientAddress is the address a request came from: the peer of the connection. Headers such
// as X-Forwarded-For are the client's to write and are not trusted.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
