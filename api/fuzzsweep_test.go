package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The sweep: before its generated requests, each operation gets every number and every time
// of a valid body, and every numeric or patterned query parameter, set in turn to each value
// below, so that no run leaves them to chance. They are what broke storage and formatting
// before, and the bounds the databases must keep.
var (
	sweepNumbers = []any{1e-300, 5e-324, 1e308, math.Copysign(0, -1), json.Number("9223372036854775808")}
	sweepTimes   = []string{"2026-09-14T17:05:00+24:00", "9999-12-31T23:59:59-14:00", "0000-01-01T00:00:00+14:00",
		"9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"}
	sweepDates = []string{"0000-01-01", "9999-12-31", "2026-02-30"}
	sweepQuery = []string{"1e-300", "1e308", "-0", "NaN", "1e2", "1_0", "0x1p-4", ""}
)

// sweep sends the operation's sweep requests.
func (f *fuzzer) sweep(o *fuzzOp) {
	if o.op.RequestBody != nil && o.op.RequestBody.Value.Content.Get("application/json") != nil {
		f.sweepBody(o)
	}
	for _, p := range o.params {
		for _, q := range sweepQueryValues(p.Value) {
			f.sweepQuery(o, p.Value.Name, q)
		}
	}
}

// sweepQueryValues are the values a query parameter gets in the sweep.
func sweepQueryValues(p *openapi3.Parameter) []string {
	if p.In != "query" || p.Schema == nil || p.Schema.Value == nil {
		return nil
	}
	switch s := p.Schema.Value; {
	case s.Format == "date-time":
		return sweepTimes
	case s.Type.Is("number") || s.Type.Is("integer") || s.Pattern != "":
		return sweepQuery
	}
	return nil
}

// base is a request to the operation with its least role and existing rows in its path.
func (f *fuzzer) base(o *fuzzOp) *fuzzRequest {
	f.existing = true
	r := f.generate(o)
	f.existing = false
	r.role, r.broken, r.body = roleFor(o), "", nil
	r.target, _, _ = strings.Cut(r.target, "?")
	delete(r.headers, "Idempotency-Key")
	delete(r.headers, "If-Match")
	return r
}

func (f *fuzzer) sweepQuery(o *fuzzOp, name, value string) {
	r := f.base(o)
	if o.op.RequestBody != nil {
		f.body(r, o) // the import's file, which may be broken too
	}
	r.target += "?" + url.Values{name: {value}}.Encode()
	r.broken = fmt.Sprintf("sweep: %s=%q", name, value)
	f.send(r)
}

// sweepBody sends a body once per number, time and date the operation's body can hold and
// value above. The base is the last body of the operation that the server took (so that the
// value tested is the only thing wrong with it), else a full generated one; a place it lacks
// is added to it.
func (f *fuzzer) sweepBody(o *fuzzOp) {
	schema := o.op.RequestBody.Value.Content.Get("application/json").Schema
	r := f.base(o)
	full := f.fullBody(schema)
	base := f.accepted[o.op.OperationID]
	if base == nil {
		base = full
	}
	var places []slot
	slots(decodeNumbers(full), schema.Value, "body", func(any) {}, nil, &places)
	for _, pl := range places {
		for _, v := range sweepValues(pl.schema) {
			body, ok := setPath(decodeNumbers(base), pl.steps, v)
			if !ok {
				continue
			}
			f.g.freshen(body)
			b, err := json.Marshal(body)
			if err != nil {
				f.t.Fatalf("marshal a sweep body: %v", err)
			}
			req := *r
			req.headers = map[string]string{"Content-Type": "application/json"}
			req.body = b
			req.broken = fmt.Sprintf("sweep: %s = %v", pl.path, v)
			f.send(&req)
		}
	}
}

// fullBody is a valid body with every property the schema has.
func (f *fuzzer) fullBody(schema *openapi3.SchemaRef) []byte {
	f.g.full = true
	b, err := json.Marshal(f.g.valid("", schema, 0))
	f.g.full = false
	if err != nil {
		f.t.Fatalf("marshal a sweep body: %v", err)
	}
	return b
}

// sweepSize is how many requests the operation's sweep sends, near enough to plan the budget.
func (f *fuzzer) sweepSize(o *fuzzOp) int {
	n := 0
	if o.op.RequestBody != nil {
		if mt := o.op.RequestBody.Value.Content.Get("application/json"); mt != nil {
			var places []slot
			slots(decodeNumbers(f.fullBody(mt.Schema)), mt.Schema.Value, "body", func(any) {}, nil, &places)
			for _, pl := range places {
				n += len(sweepValues(pl.schema))
			}
		}
	}
	for _, p := range o.params {
		n += len(sweepQueryValues(p.Value))
	}
	return n
}

// sweepValues are the values a place of this schema gets in the sweep.
func sweepValues(s *openapi3.Schema) []any {
	switch {
	case s == nil:
		return nil
	case s.Type.Is("number") || s.Type.Is("integer"):
		return sweepNumbers
	case s.Format == "date-time":
		return toAny(sweepTimes)
	case s.Format == "date":
		return toAny(sweepDates)
	}
	return nil
}

func toAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// decodeNumbers decodes JSON keeping numbers as they were written (int64's bounds included).
func decodeNumbers(b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(fmt.Sprintf("decode a generated body: %v", err))
	}
	return v
}

// freshen gives a body's names that must be unique new values, so that each sweep request
// creates its row rather than clash with the one before.
func (g *gen) freshen(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	g.st.serial++
	if k, ok := m["key"].(string); ok {
		m["key"] = fmt.Sprintf("%.70s-s%d", k, g.st.serial)
	}
	if _, ok := m["external_id"].(string); ok {
		m["external_id"] = fmt.Sprintf("fz-s%d-%d", g.st.serial, g.rng.IntN(1e9))
	}
}
