package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// decodeJSON reads the request body into dst strictly: JSON only, one value, no unknown
// fields. Errors name the field at fault. Path parameters never come from the body: dst is
// always a request type without ids of its own scope.
func decodeJSON(c echo.Context, dst any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &requestError{status: http.StatusUnsupportedMediaType, detail: "send the body as application/json"}
		}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return readError(err)
	}
	// PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
	if bytes.Contains(body, []byte(`\u0000`)) {
		return experiments.Invalid(experiments.FieldError{Field: "body", Message: "text must not contain NUL (\\u0000) characters"})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if isTooLarge(err) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return badRequest("body", "must hold exactly one JSON value")
	}
	return nil
}

func isTooLarge(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge
}

// decodeRows decodes each element of an array strictly into a T, naming the fields of a bad
// element name[i].field: encoding/json's own errors drop the index ("snapshots.views").
func decodeRows[T any](name string, raws []json.RawMessage) ([]T, error) {
	out := make([]T, len(raws))
	for i, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out[i]); err != nil {
			return nil, decodeErrorAt(fmt.Sprintf("%s[%d]", name, i), err)
		}
	}
	return out, nil
}

// decodeError explains a json decoding failure in terms of the request's fields.
func decodeError(err error) error { return decodeErrorAt("", err) }

// decodeErrorAt is decodeError for a value found at prefix (an array element) in the body.
func decodeErrorAt(prefix string, err error) error {
	at := func(field string) string {
		switch {
		case prefix == "":
			return field
		case field == "":
			return prefix
		}
		return prefix + "." + field
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case isTooLarge(err):
		return echo.ErrStatusRequestEntityTooLarge
	case errors.Is(err, io.EOF):
		return badRequest("body", "is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body", "ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return badRequest("body", fmt.Sprintf("is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typ):
		field := at(jsonPath(typ.Field))
		if field == "" {
			return badRequest("body", "must be a JSON "+jsonKind(typ.Type.Kind().String()))
		}
		return experiments.Invalid(experiments.FieldError{Field: field,
			Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.String()), typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return experiments.Invalid(experiments.FieldError{Field: at(name), Message: "is not a field of this request"})
	}
	return badRequest("body", "could not be read as JSON")
}

// jsonPath is the field path as the client wrote it: encoding/json names a field of an
// embedded struct through the Go type's name ("Metrics.views"), which no JSON field has (every
// JSON field of the API is lowercase).
func jsonPath(goPath string) string {
	parts := strings.Split(goPath, ".")
	out := parts[:0]
	for _, p := range parts {
		if p == "" || !unicode.IsUpper(rune(p[0])) {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string" || strings.HasSuffix(t, ".Role") || strings.HasSuffix(t, ".Status"):
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"), t == "slice":
		return "an array"
	case strings.HasPrefix(t, "map"), t == "struct", t == "map":
		return "an object"
	}
	return "a " + t
}
