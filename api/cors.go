package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// CORS says which other origins' pages may call the API from a browser. The zero value allows
// none: the dashboard is served from the API's own origin and needs nothing.
type CORS struct {
	// Origins are exact origins ("https://tools.example.org"), or the single entry "*" for any.
	Origins []string
	// Credentials lets browsers send cookies or TLS client certificates along. The API
	// authenticates with a Bearer key that a page sets itself, so tools rarely need it.
	Credentials bool
}

// corsAllowHeaders are the request headers a cross-origin page may set.
const corsAllowHeaders = "Authorization, Content-Type, Idempotency-Key, If-Match"

// corsExposeHeaders are the response headers a cross-origin page may read. Expose-Headers
// takes no prefix wildcard, so every RateLimit header is named.
const corsExposeHeaders = "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, " +
	"RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id"

const corsAllowMethods = "GET, HEAD, POST, PATCH, DELETE"

// ParseCORSOrigins reads a comma-separated list of origins, as POSTLAB_CORS_ORIGINS holds it.
// Each is scheme://host[:port] with nothing after it; "*" stands alone and refuses credentials,
// which browsers would refuse anyway.
func ParseCORSOrigins(list string, credentials bool) (CORS, error) {
	cfg := CORS{Credentials: credentials}
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			cfg.Origins = append(cfg.Origins, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return CORS{}, fmt.Errorf("CORS origin %q must look like https://host[:port], with no path", o)
		}
		cfg.Origins = append(cfg.Origins, strings.ToLower(o))
	}
	for _, o := range cfg.Origins {
		if o == "*" && len(cfg.Origins) > 1 {
			return CORS{}, fmt.Errorf("CORS origin \"*\" must stand alone, not beside other origins")
		}
		if o == "*" && credentials {
			return CORS{}, fmt.Errorf("CORS origin \"*\" cannot be allowed with credentials; name the origins")
		}
	}
	return cfg, nil
}

func (c CORS) any() bool { return len(c.Origins) == 1 && c.Origins[0] == "*" }

func (c CORS) allows(origin string) bool {
	if c.any() {
		return true
	}
	origin = strings.ToLower(origin)
	for _, o := range c.Origins {
		if o == origin {
			return true
		}
	}
	return false
}

// cors answers preflights itself, before routing reaches authentication (a browser never sends
// a key with a preflight), and marks other answers readable by the allowed origins. A request
// from an origin not allowed gets no CORS headers, so the browser keeps the answer from the page.
func (cfg CORS) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req, h := c.Request(), c.Response().Header()
		origin := req.Header.Get(echo.HeaderOrigin)
		if !cfg.any() {
			h.Add(echo.HeaderVary, echo.HeaderOrigin) // the answer depends on who asks
		}
		preflight := req.Method == http.MethodOptions && origin != "" &&
			req.Header.Get(echo.HeaderAccessControlRequestMethod) != ""
		allowed := origin != "" && cfg.allows(origin)
		if allowed {
			if cfg.any() {
				h.Set(echo.HeaderAccessControlAllowOrigin, "*")
			} else {
				h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			}
			if cfg.Credentials {
				h.Set(echo.HeaderAccessControlAllowCredentials, "true")
			}
		}
		if !preflight {
			if allowed {
				h.Set(echo.HeaderAccessControlExposeHeaders, corsExposeHeaders)
			}
			return next(c)
		}
		if allowed {
			h.Set(echo.HeaderAccessControlAllowMethods, corsAllowMethods)
			h.Set(echo.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			h.Set(echo.HeaderAccessControlMaxAge, "600")
		}
		return c.NoContent(http.StatusNoContent)
	}
}
