package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type   string                   `json:"type"`
	Title  string                   `json:"title"`
	Status int                      `json:"status"`
	Detail string                   `json:"detail"`
	Errors []experiments.FieldError `json:"errors,omitempty"`
}

// statusOf maps each domain error code to its HTTP status; the one place that does so.
var statusOf = map[string]int{
	experiments.ECONFLICT:     http.StatusConflict,
	experiments.EINVALID:      http.StatusUnprocessableEntity,
	experiments.ENOTFOUND:     http.StatusNotFound,
	experiments.EFORBIDDEN:    http.StatusForbidden,
	experiments.EUNAUTHORIZED: http.StatusUnauthorized,
	experiments.EPRECONDITION: http.StatusPreconditionFailed,
	experiments.EINTERNAL:     http.StatusInternalServerError,
	experiments.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// retryAfter is the Retry-After of a 503, in seconds: about how long a database restart or a
// failover takes to be noticed and recovered from.
const retryAfter = "2"

// requestError is an error of the request itself (before the domain sees it): malformed JSON,
// a bad query parameter, a tampered cursor, a wrong content type.
type requestError struct {
	status int
	detail string
	fields []experiments.FieldError
}

func (e *requestError) Error() string { return e.detail }

func badRequest(field, message string) *requestError {
	return &requestError{status: http.StatusBadRequest, detail: field + ": " + message,
		fields: []experiments.FieldError{{Field: field, Message: message}}}
}

// problemFor turns any error into a problem document.
func problemFor(err error) Problem {
	var re *requestError
	var de *experiments.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &re):
		return newProblem(re.status, re.detail, re.fields)
	case errors.As(err, &de):
		status, ok := statusOf[de.Code]
		if !ok || status == http.StatusInternalServerError {
			return newProblem(http.StatusInternalServerError, "something went wrong on our side; it has been logged", nil)
		}
		return newProblem(status, de.Message, de.Fields)
	case errors.As(err, &he):
		return newProblem(he.Code, httpErrorDetail(he), nil)
	}
	return newProblem(http.StatusInternalServerError, "something went wrong on our side; it has been logged", nil)
}

func httpErrorDetail(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusRequestEntityTooLarge:
		return "the request body is larger than this endpoint accepts"
	case http.StatusNotFound:
		return "no such endpoint"
	case http.StatusMethodNotAllowed:
		return "this endpoint does not accept that method"
	}
	if msg, ok := he.Message.(string); ok {
		return msg
	}
	return http.StatusText(he.Code)
}

func newProblem(status int, detail string, fields []experiments.FieldError) Problem {
	return Problem{Type: problemType(status), Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields}
}

// problemType is a stable URI per status, documented in openapi.yaml.
func problemType(status int) string {
	switch status {
	case http.StatusUnprocessableEntity:
		return "/problems/validation"
	case http.StatusNotFound:
		return "/problems/not-found"
	case http.StatusConflict:
		return "/problems/conflict"
	case http.StatusUnauthorized:
		return "/problems/unauthorized"
	case http.StatusForbidden:
		return "/problems/forbidden"
	case http.StatusPreconditionFailed:
		return "/problems/precondition-failed"
	case http.StatusTooManyRequests:
		return "/problems/rate-limited"
	case http.StatusRequestEntityTooLarge:
		return "/problems/too-large"
	case http.StatusBadRequest:
		return "/problems/bad-request"
	case http.StatusServiceUnavailable:
		return "/problems/unavailable"
	}
	return "about:blank"
}

// errorHandler renders every error as problem+json, and logs server errors once.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		ctx := c.Request().Context()
		p := problemFor(err)
		// A body cut off by its read deadline ends the request's context too (net/http
		// cancels it on a failed read), but that client is still there to be told 408.
		if clientGone(c) && p.Status != http.StatusRequestTimeout {
			// The client went away: whatever failed, failed for that. Nothing is sent, and the
			// request is logged with statusClientClosed, not as a server error.
			c.Response().Status = statusClientClosed
			logger.InfoContext(ctx, "client closed the request", "method", c.Request().Method, "route", c.Path(), "error", err)
			return
		}
		switch {
		case p.Status == http.StatusServiceUnavailable:
			// An outage of the database, not a bug: the client is told when to come back.
			c.Response().Header().Set("Retry-After", retryAfter)
			logger.WarnContext(ctx, "request failed: database unavailable", "method", c.Request().Method, "route", c.Path(), "error", err)
		case p.Status >= 500:
			logger.ErrorContext(ctx, "request failed", "method", c.Request().Method, "route", c.Path(), "error", err)
		}
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="postlab"`)
		}
		if err := writeProblem(c, p); err != nil {
			logger.ErrorContext(ctx, "write problem", "error", err)
		}
	}
}

func writeProblem(c echo.Context, p Problem) error {
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("marshal problem: %w", err)
	}
	// A handler that failed while answering may have set headers of its own answer already;
	// Blob would keep its Content-Type.
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/problem+json")
	h.Del("Content-Disposition")
	h.Del("ETag")
	h.Del(echo.HeaderLocation)
	return c.Blob(p.Status, "application/problem+json", b)
}
