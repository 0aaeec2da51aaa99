package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestServerErrorsAreProblems: a panic, an error after a handler began its own answer, and
// Echo's own errors all answer problem+json.
func TestServerErrorsAreProblems(t *testing.T) {
	s := &Server{logger: slog.New(slog.DiscardHandler)}
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(s.logger)
	e.Use(s.logRequests, s.recoverPanics)
	e.GET("/panic", func(c echo.Context) error { panic("boom") })
	e.GET("/half", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c.Response().Header().Set("Content-Disposition", `attachment; filename="x.csv"`)
		return errors.New("encoding failed")
	})
	e.GET("/echo", func(c echo.Context) error { return echo.ErrServiceUnavailable })
	for path, status := range map[string]int{"/panic": 500, "/half": 500, "/echo": 503, "/none": 404} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != status || rec.Header().Get(echo.HeaderContentType) != "application/problem+json" ||
			!strings.Contains(rec.Body.String(), `"status":`) || rec.Header().Get("Content-Disposition") != "" {
			t.Errorf("GET %s = %d %q %s, want %d problem+json", path, rec.Code, rec.Header().Get(echo.HeaderContentType), rec.Body, status)
		}
	}
}
