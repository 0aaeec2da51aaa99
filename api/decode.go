package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
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
	// A body without a Content-Type is not declared JSON: refuse it as the contract does,
	// rather than guess.
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &requestError{status: http.StatusUnsupportedMediaType, detail: "send the body as application/json (with Content-Type: application/json)"}
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
	// encoding/json takes null as "leave as it is": a body of null, or null for a field the
	// contract does not make nullable, would pass for an absent one.
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return experiments.Invalid(experiments.FieldError{Field: "body", Message: "must be a JSON object, not null"})
	}
	if fields := nullFields(body, reflect.TypeOf(dst), ""); len(fields) > 0 {
		return experiments.Invalid(fields...)
	}
	return nil
}

// metricFields are the snapshot metrics, which may be null (unknown).
var metricFields = func() []string {
	names := make([]string, len(experiments.SnapshotMetrics))
	for i, sm := range experiments.SnapshotMetrics {
		names[i] = sm.Name
	}
	return names
}()

// nullable lists, per request type, the fields the contract lets a client send as null.
var nullable = map[reflect.Type][]string{
	reflect.TypeFor[experiments.SnapshotInput](): metricFields,
	reflect.TypeFor[singleSnapshot]():            metricFields,
	reflect.TypeFor[experiments.VariantInput]():  {"weight", "post_time"},
	reflect.TypeFor[experiments.PostInput]():     {"followers_at_post"},
	// null clears the plan of a draft, to have it sized at start.
	reflect.TypeFor[experiments.ExperimentPatch](): {"planned_posts_per_variant"},
}

// nullFields names every field of raw, decoded as t, that is null without being nullable. raw
// has already been decoded into t without error.
func nullFields(raw []byte, t reflect.Type, prefix string) []experiments.FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		var out []experiments.FieldError
		for i, item := range items {
			out = append(out, nullFields(item, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(prefix, "."), i))...)
		}
		return out
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		return structNulls(obj, t, prefix, nullable[t])
	case reflect.Map:
		// encoding/json stores null as the zero value: {"custom": {"clicks": null}} would
		// become 0 clicks, where the contract allows no null.
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		var out []experiments.FieldError
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			if string(bytes.TrimSpace(obj[key])) == "null" {
				out = append(out, experiments.FieldError{Field: prefix + key, Message: "must not be null; leave it out instead"})
				continue
			}
			out = append(out, nullFields(obj[key], t.Elem(), prefix+key+".")...)
		}
		return out
	}
	return nil
}

// structNulls checks the fields of t, where those named in allowed may be null. The fields of
// an embedded struct (SnapshotInput's Metrics) are t's own, and so is their allowance.
func structNulls(obj map[string]json.RawMessage, t reflect.Type, prefix string, allowed []string) []experiments.FieldError {
	var out []experiments.FieldError
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, structNulls(obj, f.Type, prefix, allowed)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		value, sent := obj[name]
		if !f.IsExported() || name == "" || name == "-" || !sent {
			continue
		}
		if string(bytes.TrimSpace(value)) == "null" {
			if !slices.Contains(allowed, name) {
				out = append(out, experiments.FieldError{Field: prefix + name, Message: "must not be null; leave it out instead"})
			}
			continue
		}
		out = append(out, nullFields(value, f.Type, prefix+name+".")...)
	}
	return out
}

func isTooLarge(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge
}

// decodeRows decodes each element of an array strictly into a T, naming the fields of a bad
// element name[i].field: encoding/json's own errors drop the index ("snapshots.views").
func decodeRows[T any](name string, raws []json.RawMessage) ([]T, error) {
	out := make([]T, len(raws))
	var nulls []experiments.FieldError
	for i, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out[i]); err != nil {
			return nil, decodeErrorAt(fmt.Sprintf("%s[%d]", name, i), err)
		}
		nulls = append(nulls, nullFields(raw, reflect.TypeOf(&out[i]), fmt.Sprintf("%s[%d].", name, i))...)
	}
	if len(nulls) > 0 {
		return nil, experiments.Invalid(nulls...)
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
