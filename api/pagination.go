package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

const (
	defaultLimit = 50
	maxLimit     = 500
)

// listPage is the answer of every list endpoint.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// cursors signs the position a list stopped at, bound to the workspace and the list, so that
// a cursor cannot be forged, altered, or carried into another workspace's list.
type cursors struct{ secret []byte }

func (cs cursors) mac(workspaceID, list, after string) string {
	h := hmac.New(sha256.New, cs.secret)
	h.Write([]byte(workspaceID + "\x00" + list + "\x00" + after))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

func (cs cursors) encode(workspaceID, list, after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(after)) + "." + cs.mac(workspaceID, list, after)
}

func (cs cursors) decode(workspaceID, list, cursor string) (string, error) {
	raw, sig, ok := strings.Cut(cursor, ".")
	after, err := base64.RawURLEncoding.DecodeString(raw)
	if !ok || err != nil || !hmac.Equal([]byte(sig), []byte(cs.mac(workspaceID, list, string(after)))) {
		return "", badRequest("cursor", "is not a cursor this list gave out; start again without it")
	}
	return string(after), nil
}

// page reads ?limit= and ?cursor= for the list named list.
func (s *Server) page(c echo.Context, p experiments.Principal, list string) (experiments.Page, error) {
	limit := defaultLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return experiments.Page{}, badRequest("limit", "must be a whole number from 1 to 500")
		}
		limit = n
	}
	var after string
	if v := c.QueryParam("cursor"); v != "" {
		var err error
		if after, err = s.cursors.decode(p.WorkspaceID, list, v); err != nil {
			return experiments.Page{}, err
		}
	}
	// One more row than asked tells whether there is a next page.
	return experiments.Page{Limit: limit + 1, After: after}, nil
}

// pageOf trims the extra row that page asked for and signs the next cursor.
func pageOf[T any](s *Server, p experiments.Principal, list string, page experiments.Page, items []T, position func(T) string) listPage[T] {
	out := listPage[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if len(items) == page.Limit {
		out.Items = items[:page.Limit-1]
		next := s.cursors.encode(p.WorkspaceID, list, position(out.Items[len(out.Items)-1]))
		out.NextCursor = &next
	}
	return out
}
