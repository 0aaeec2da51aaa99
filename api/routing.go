package api

import (
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// decodePath routes on the decoded path: Echo routes on the raw path when the client escaped
// more than it had to (/v1/experiments/e%31), and would then hand "e%31" to the handler as the
// id. An escaped slash is the exception: it is part of a segment, not a separator (RFC 3986
// §2.2), so /v1/experiments/e1%2Freport names an experiment "e1/report" (which cannot exist),
// not e1's report. Such a path keeps its raw form and routes as one segment.
func decodePath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if !strings.Contains(strings.ToUpper(u.RawPath), "%2F") {
			u.RawPath = ""
		}
		return next(c)
	}
}

// routedMethods are the methods postlab's routes use.
var routedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete}

// wrongMethod answers a /v1 request that matched no route: 405 with Allow when the path is a
// route for other methods, else 404. (Echo's group catch-all, which runs the group's
// middleware, would answer 404 to both.)
func wrongMethod(e *echo.Echo) echo.HandlerFunc {
	routeSet := sync.OnceValue(func() map[string]bool { // every route is registered by the first request
		routes := map[string]bool{}
		for _, r := range e.Routes() {
			routes[r.Method+" "+r.Path] = true
		}
		return routes
	})
	return func(c echo.Context) error {
		routes := routeSet()
		path := echo.GetPath(c.Request())
		var allow []string
		for _, m := range routedMethods {
			probe := e.NewContext(c.Request(), nil)
			e.Router().Find(m, path, probe)
			if routes[m+" "+probe.Path()] {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			return echo.ErrNotFound
		}
		c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
		return echo.ErrMethodNotAllowed
	}
}
