package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// This file is the contract fuzzer's generator: values for any schema of openapi.yaml, valid
// ones (drawn inside every bound, often at the bound) and broken ones (one part of a valid
// value replaced by what clients get wrong or attackers try). It knows the API only through
// the schemas, plus hints by field name so that generated ids and keys name real rows.

// gen draws values. Every choice comes from rng, so a seed replays a run.
type gen struct {
	rng *rand.Rand
	st  *fuzzState
	now time.Time
	exp *fuzzExperiment // the experiment the request's path names, when it names one
	// full makes valid values hold every property, one item per array and one entry per
	// map, and no null: the base of the sweep, where every field gets its turn.
	full bool
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// Values that have broken services like this one: times the databases cannot store or read
// back, numbers that make formatters recurse, text that databases or spreadsheets treat
// specially.
var (
	extremeTimes = []string{
		"9999-12-31T23:59:59-14:00", // year 10000 in UTC
		"2026-09-14T17:05:00+24:00", // an offset Go parses and PostgreSQL refuses
		"0000-01-01T00:00:00+14:00", // year 0, and year -1 in UTC
		"0001-01-01T00:00:00Z",
		"1969-12-31T23:59:59Z",
		"1970-01-01T00:00:00Z",
		"9999-12-31T23:59:59Z",
		"2026-02-30T12:00:00Z",
		"2026-09-14T17:05:00",  // no offset
		"2026-09-14 17:05:00Z", // a space for the T
		"2026-09-14T17:05:00.123456789123Z",
		"+002026-09-14T17:05:00Z",
		"2026-09-14T24:00:00Z",
	}
	extremeNumbers = []any{1e-300, 5e-324, 1e308, -1e308, math.Copysign(0, -1), -1, 0, 0.5, 1.5,
		json.Number("9223372036854775807"), json.Number("9223372036854775808"), json.Number("-9223372036854775809"),
		json.Number("1e400"), json.Number("1e-400"), json.Number("100000000000000000000000")}
	nastyStrings = []string{"", " ", "\x00", "a\x00b", "\u202e\u0645", "💥", "%00", "../../etc/passwd",
		"'; DROP TABLE posts; --", `=HYPERLINK("http://evil.example","click")`, "+1+1", "@SUM(1)", "\t-1",
		"\xed\xa0\x80", "NaN", "Infinity", "null", "true", "0x10", "1e2"}
	wrongTypes = []any{"x", 7, 1.5, true, false, []any{}, []any{1, "a"}, map[string]any{}, map[string]any{"a": 1}}
)

// hugeString is over every maxLength of the contract and under the body limit.
var hugeString = strings.Repeat("x", 70_000)

// valid draws a value the schema accepts. name is the property's name, for hints.
func (g *gen) valid(name string, ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil {
		return "x"
	}
	s := ref.Value
	if s.Nullable && !g.full && g.chance(0.1) {
		return nil
	}
	if len(s.AllOf) > 0 && len(s.Properties) == 0 {
		return g.valid(name, s.AllOf[0], depth)
	}
	if v, ok := g.hint(name, s); ok {
		return v
	}
	if len(s.Enum) > 0 {
		return pick(g, s.Enum)
	}
	switch {
	case s.Type.Is("object"):
		m := g.object(s, depth)
		g.rules(strings.TrimPrefix(ref.Ref, "#/components/schemas/"), m)
		return m
	case s.Type.Is("array"):
		return g.array(name, s, depth)
	case s.Type.Is("integer"):
		return g.integer(s)
	case s.Type.Is("number"):
		return g.number(s)
	case s.Type.Is("boolean"):
		return g.chance(0.5)
	}
	return g.str(name, s)
}

func (g *gen) object(s *openapi3.Schema, depth int) map[string]any {
	out := map[string]any{}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names) // map order is random; the seed must replay the run
	for _, n := range names {
		if slices.Contains(s.Required, n) || g.full || (depth < 4 && g.chance(0.5)) {
			out[n] = g.valid(n, s.Properties[n], depth+1)
		}
	}
	if extra := s.AdditionalProperties.Schema; extra != nil && depth < 4 {
		n := g.rng.IntN(3)
		if g.full {
			n = 1
		}
		for i := n; i > 0; i-- {
			name, _ := fromPattern(g, `[a-z][a-z0-9_]{0,11}`) // custom metrics' and factors' names
			out[name] = g.valid("", extra, depth+1)
		}
	}
	return out
}

func (g *gen) array(name string, s *openapi3.Schema, depth int) any {
	lo, hi := int(s.MinItems), int(s.MinItems)+4
	if s.MaxItems != nil && int(*s.MaxItems) < hi {
		hi = int(*s.MaxItems)
	}
	n := lo + g.rng.IntN(hi-lo+1)
	if g.full {
		n = min(max(lo, 1), hi)
	}
	out := make([]any, n)
	for i := range out {
		out[i] = g.valid(strings.TrimSuffix(name, "s"), s.Items, depth+1)
	}
	return out
}

// bounds are a numeric schema's limits, with what lies just inside the exclusive ones.
func bounds(s *openapi3.Schema, integer bool) (lo, hi float64) {
	lo, hi = -1e6, 1e6
	if s.Min != nil {
		lo = *s.Min
		if s.ExclusiveMin.IsTrue() {
			lo = math.Nextafter(lo, math.Inf(1))
			if integer {
				lo = math.Floor(*s.Min) + 1
			}
		}
	}
	if s.Max != nil {
		hi = *s.Max
		if s.ExclusiveMax.IsTrue() {
			hi = math.Nextafter(hi, math.Inf(-1))
			if integer {
				hi = math.Ceil(*s.Max) - 1
			}
		}
	}
	return lo, hi
}

func (g *gen) number(s *openapi3.Schema) any {
	lo, hi := bounds(s, false)
	switch r := g.rng.Float64(); {
	case r < 0.12:
		return lo
	case r < 0.24:
		return hi
	case r < 0.4 && s.Min != nil && *s.Min == 0:
		// The tiniest positive numbers are valid wherever 0 is the (exclusive) minimum.
		return pick(g, []float64{1e-300, 5e-324})
	}
	return lo + g.rng.Float64()*(hi-lo)
}

func (g *gen) integer(s *openapi3.Schema) any {
	lo, hi := bounds(s, true)
	if s.Format == "int64" && s.Max == nil && g.chance(0.1) {
		return json.Number("9223372036854775807")
	}
	if s.Min == nil {
		lo = 0
	}
	if s.Max == nil {
		hi = 1e7
	}
	if hi < lo {
		hi = lo
	}
	switch r := g.rng.Float64(); {
	case r < 0.15:
		return int64(lo)
	case r < 0.25:
		return int64(hi)
	}
	return int64(lo) + g.rng.Int64N(int64(hi-lo)+1)
}

func (g *gen) str(name string, s *openapi3.Schema) string {
	switch {
	case s.Format == "date-time":
		return g.timeAround(-10*24*time.Hour, 0)
	case s.Format == "date":
		return g.now.AddDate(0, 0, g.rng.IntN(30)-7).Format(time.DateOnly)
	case s.Pattern != "":
		if v, ok := fromPattern(g, s.Pattern); ok {
			return v
		}
	}
	lo, hi := int(s.MinLength), 16
	if s.MaxLength != nil && int(*s.MaxLength) < hi {
		hi = int(*s.MaxLength)
	}
	if lo > hi {
		hi = lo
	}
	if s.MaxLength != nil && g.chance(0.05) {
		return strings.Repeat("é", int(*s.MaxLength)) // the longest allowed, in runes
	}
	return g.word(lo, hi)
}

func (g *gen) word(lo, hi int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789_-"
	n := lo + g.rng.IntN(hi-lo+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.rng.IntN(len(letters))]
	}
	return string(b)
}

// timeAround is an RFC 3339 time between from and to after now, in a random zone.
func (g *gen) timeAround(from, to time.Duration) string {
	t := g.now.Add(from + time.Duration(g.rng.Int64N(int64(to-from)+1)))
	zone := time.FixedZone("", (g.rng.IntN(27*4)-12*4)*15*60)
	if g.chance(0.5) {
		zone = time.UTC
	}
	return t.In(zone).Truncate(time.Second).Format(time.RFC3339)
}

// fromPattern draws a string the regular expression matches.
func fromPattern(g *gen, pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	g.regex(re, &b)
	return b.String(), true
}

func (g *gen) regex(re *syntax.Regexp, b *strings.Builder) {
	repeat := func(min, max int) {
		if max < 0 || max > min+8 {
			max = min + 8
		}
		for i := min + g.rng.IntN(max-min+1); i > 0; i-- {
			g.regex(re.Sub[0], b)
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		i := g.rng.IntN(len(re.Rune) / 2)
		lo, hi := re.Rune[2*i], re.Rune[2*i+1]
		if hi-lo > 255 {
			hi = lo + 255
		}
		b.WriteRune(lo + rune(g.rng.IntN(int(hi-lo)+1)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(byte('a' + g.rng.IntN(26)))
	case syntax.OpCapture:
		g.regex(re.Sub[0], b)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			g.regex(sub, b)
		}
	case syntax.OpAlternate:
		g.regex(pick(g, re.Sub), b)
	case syntax.OpStar:
		repeat(0, 3)
	case syntax.OpPlus:
		repeat(1, 3)
	case syntax.OpQuest:
		repeat(0, 1)
	case syntax.OpRepeat:
		repeat(re.Min, re.Max)
	}
}

// hint draws values for fields that name rows or carry meaning, so that requests reach real
// rows and pass the checks the schema cannot express.
func (g *gen) hint(name string, s *openapi3.Schema) (any, bool) {
	if !s.Type.Is("string") && !s.Type.Is("array") && !s.Type.Is("object") {
		return nil, false
	}
	st, exp := g.st, g.exp
	if exp == nil && len(st.experiments) > 0 {
		exp = pick(g, st.experiments)
	}
	switch name {
	case "variant_id":
		if exp != nil && len(exp.variants) > 0 {
			return pick(g, exp.variants).id, true
		}
	case "variant_key", "winner_variant_key":
		if exp != nil && len(exp.variants) > 0 {
			return pick(g, exp.variants).key, true
		}
	case "post_id":
		if len(st.posts) > 0 {
			return pick(g, st.posts).id, true
		}
	case "external_id":
		return g.externalID(), true
	case "experiment":
		if exp != nil {
			return exp.key, true
		}
	case "account":
		return pick(g, fuzzAccounts), true
	case "accounts":
		i := g.rng.IntN(len(fuzzAccounts))
		return []any{fuzzAccounts[i], fuzzAccounts[(i+1)%len(fuzzAccounts)]}, true
	case "timezone":
		return pick(g, []string{"Europe/Zurich", "UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati"}), true
	case "primary_metric", "metric", "numerator", "denominator", "secondary_metric":
		return pick(g, fuzzMetrics), true
	case "factor":
		return pick(g, fuzzFactors), true
	case "levels":
		levels := map[string]any{}
		for _, f := range fuzzFactors {
			levels[f] = pick(g, []string{"morning", "evening", "video", "photo", "ForClimate"})
		}
		return levels, true
	case "hashtag":
		return pick(g, []string{"ForClimate", "ClimateAction", "#Evening"}), true
	case "platform":
		if g.chance(0.8) {
			return "tiktok", true // the platform of every experiment the fuzzer sets up
		}
	case "posted_at":
		if g.chance(0.05) { // the first moment the databases keep, written two ways
			return pick(g, []string{"1970-01-01T00:00:00Z", "1970-01-01T14:00:00+14:00"}), true
		}
		return g.timeAround(-12*24*time.Hour, -6*24*time.Hour), true
	case "observed_at":
		if g.chance(0.05) { // the last moment the databases keep, written three ways
			return pick(g, []string{"9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00", "9999-12-31T12:00:00-11:59"}), true
		}
		return g.timeAround(-5*24*time.Hour, 0), true
	case "start":
		if s.Format == "date" {
			return g.now.AddDate(0, 0, g.rng.IntN(20)-10).Format(time.DateOnly), true
		}
	case "end":
		if s.Format == "date" {
			return g.now.AddDate(0, 0, 10+g.rng.IntN(60)).Format(time.DateOnly), true
		}
	case "url":
		return "https://www.tiktok.com/@ifrc/video/" + strconv.Itoa(g.rng.IntN(1e6)), true
	}
	if name == "factors" || (name == "factor" && s.Type.Is("array")) {
		return []any{pick(g, fuzzFactors)}, true
	}
	return nil, false
}

// rules make a generated object keep the rules its schema states only in words, so that
// valid requests get past them to the code behind.
func (g *gen) rules(schema string, m map[string]any) {
	exp := g.exp
	if exp == nil && len(g.st.experiments) > 0 {
		exp = pick(g, g.st.experiments)
	}
	switch schema {
	case "PostInput", "PostPatch":
		// One of variant_id and variant_key names the variant.
		delete(m, "variant_id")
		delete(m, "variant_key")
		if exp != nil && len(exp.variants) > 0 && (schema == "PostInput" || g.chance(0.3)) {
			v := pick(g, exp.variants)
			if g.chance(0.5) {
				m["variant_id"] = v.id
			} else {
				m["variant_key"] = v.key
			}
		}
		if schema == "PostInput" && g.chance(0.8) {
			g.st.serial++
			m["external_id"] = fmt.Sprintf("fz%d-%d", g.st.serial, g.rng.IntN(1e9)) // a new post
		}
	case "SnapshotInput":
		// A post is named by post_id, or by platform and external_id.
		if g.chance(0.5) && len(g.st.posts) > 0 {
			delete(m, "platform")
			delete(m, "external_id")
			m["post_id"] = pick(g, g.st.posts).id
		} else {
			delete(m, "post_id")
			m["platform"], m["external_id"] = "tiktok", g.externalID()
		}
	case "SampleSizeBaseline":
		// Either sd or an experiment gives the spread.
		if _, ok := m["sd"]; ok && g.chance(0.5) {
			delete(m, "experiment")
			delete(m, "account")
			delete(m, "metric")
		} else if exp != nil {
			delete(m, "sd")
			m["experiment"] = exp.key
		}
	case "ConcludeInput":
		if m["result"] == "won" && exp != nil && len(exp.variants) > 0 {
			m["winner_variant_key"] = pick(g, exp.variants).key
		}
	}
}

// externalID names a logged post half the time (snapshots find it; a new post clashes with
// it), else a new one.
func (g *gen) externalID() string {
	if len(g.st.posts) > 0 && g.chance(0.5) {
		return pick(g, g.st.posts).externalID
	}
	g.st.serial++
	return fmt.Sprintf("fz%d-%d", g.st.serial, g.rng.IntN(1e9))
}

// slot is one place in a generated JSON value that a mutation may replace.
type slot struct {
	path   string
	steps  []any // the path as map keys (string) and array indexes (int)
	schema *openapi3.Schema
	set    func(any)
	del    func() // removes the value from its object; nil for array items and the root
}

// slots lists the places of v, described by s, depth first.
func slots(v any, s *openapi3.Schema, path string, set func(any), del func(), out *[]slot) {
	walkSlots(v, s, path, nil, set, del, out)
}

func walkSlots(v any, s *openapi3.Schema, path string, steps []any, set func(any), del func(), out *[]slot) {
	if s != nil && len(s.AllOf) > 0 && len(s.Properties) == 0 {
		s = s.AllOf[0].Value
	}
	*out = append(*out, slot{path: path, steps: steps, schema: s, set: set, del: del})
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var sub *openapi3.Schema
			if s != nil {
				if p := s.Properties[k]; p != nil {
					sub = p.Value
				} else if s.AdditionalProperties.Schema != nil {
					sub = s.AdditionalProperties.Schema.Value
				}
			}
			walkSlots(x[k], sub, path+"."+k, append(slices.Clone(steps), k), func(nv any) { x[k] = nv }, func() { delete(x, k) }, out)
		}
	case []any:
		var sub *openapi3.Schema
		if s != nil && s.Items != nil {
			sub = s.Items.Value
		}
		for i := range x {
			walkSlots(x[i], sub, fmt.Sprintf("%s[%d]", path, i), append(slices.Clone(steps), i), func(nv any) { x[i] = nv }, nil, out)
		}
	}
}

// setPath puts v at the path in root, making the objects on the way; it reports false when
// the path runs through an array item root does not have, or through a value that is not an
// object.
func setPath(root any, steps []any, v any) (any, bool) {
	if len(steps) == 0 {
		return v, true
	}
	switch step := steps[0].(type) {
	case string:
		m, ok := root.(map[string]any)
		if root == nil {
			m, ok = map[string]any{}, true
		}
		if !ok {
			return root, false
		}
		child, ok := setPath(m[step], steps[1:], v)
		if ok {
			m[step] = child
		}
		return m, ok
	case int:
		a, ok := root.([]any)
		if !ok || step >= len(a) {
			return root, false
		}
		child, ok := setPath(a[step], steps[1:], v)
		if ok {
			a[step] = child
		}
		return a, ok
	}
	return root, false
}

// mutate breaks one place of the valid value v (in place where it can) and says how.
func (g *gen) mutate(v any, s *openapi3.Schema) (any, string) {
	root := v
	var all []slot
	slots(v, s, "body", func(nv any) { root = nv }, nil, &all)
	// Half the time break a number or a time: the values that have broken storage and
	// formatting before.
	risky := slices.DeleteFunc(slices.Clone(all), func(sl slot) bool {
		return sl.schema == nil || !(sl.schema.Type.Is("number") || sl.schema.Type.Is("integer") || sl.schema.Format == "date-time")
	})
	sl := pick(g, all)
	if len(risky) > 0 && g.chance(0.5) {
		sl = pick(g, risky)
	}
	kind, nv := g.breakValue(sl)
	if kind == "remove" {
		sl.del()
	} else {
		sl.set(nv)
	}
	return root, fmt.Sprintf("%s: %s", sl.path, kind)
}

// breakValue chooses what to put in place of a value with schema s.
func (g *gen) breakValue(sl slot) (string, any) {
	s := sl.schema
	r := g.rng.Float64()
	switch {
	case r < 0.1:
		return "null", nil
	case r < 0.2:
		return "wrong type", pick(g, wrongTypes)
	case r < 0.28 && sl.del != nil:
		return "remove", nil
	}
	if s == nil {
		return "nasty string", pick(g, nastyStrings)
	}
	switch {
	case s.Type.Is("object"):
		if m, ok := g.valid("", &openapi3.SchemaRef{Value: s}, 3).(map[string]any); ok {
			m[pick(g, []string{"zzz_unknown", "id", "workspace_id", "status", "version"})] = pick(g, wrongTypes)
			return "unknown field", m
		}
	case s.Type.Is("array"):
		if g.chance(0.5) {
			return "empty array", []any{}
		}
		n := 12
		if s.MaxItems != nil && *s.MaxItems < 100 {
			n = int(*s.MaxItems) + 1
		}
		items := make([]any, n)
		for i := range items {
			items[i] = g.valid("", s.Items, 3)
		}
		return "many items", items
	case s.Type.Is("integer") || s.Type.Is("number"):
		lo, hi := bounds(s, s.Type.Is("integer"))
		return "extreme number", pick(g, append(slices.Clone(extremeNumbers), lo-1, hi+1, lo*2-hi))
	case s.Type.Is("boolean"):
		return "boolean as text", pick(g, []any{"true", "false", 0, 1})
	case s.Format == "date-time" || s.Format == "date":
		return "extreme time", pick(g, extremeTimes)
	}
	switch x := g.rng.Float64(); {
	case x < 0.2:
		return "huge string", hugeString
	case x < 0.3 && len(s.Enum) > 0:
		return "outside enum", strings.ToUpper(fmt.Sprint(s.Enum[0]))
	case x < 0.4 && s.Pattern != "":
		return "against pattern", "Not A Pattern!"
	}
	return "nasty string", pick(g, nastyStrings)
}

// queryValue draws a parameter's value as it goes in a URL: valid, or broken when bad.
func (g *gen) queryValue(p *openapi3.Parameter, bad bool) []string {
	if p.Content != nil { // a JSON value in the query (the import's mapping)
		var s *openapi3.SchemaRef
		for _, mt := range p.Content {
			s = mt.Schema
		}
		v := g.valid(p.Name, s, 0)
		if bad {
			if g.chance(0.5) {
				return []string{pick(g, []string{"{", "[]", "null", `{"variants": 1}`, `{"zzz": {}}`, hugeString})}
			}
			v, _ = g.mutate(v, s.Value)
		}
		b, _ := json.Marshal(v)
		return []string{string(b)}
	}
	s := p.Schema.Value
	if p.Name == "cursor" && !bad {
		return nil // a real cursor comes from a list; the read-back pages through every list
	}
	if s.Type.Is("array") {
		n := 1 + g.rng.IntN(3)
		out := make([]string, n)
		for i := range out {
			out[i] = g.scalarQuery(p.Name, s.Items.Value, bad && i == 0)
		}
		return out
	}
	return []string{g.scalarQuery(p.Name, s, bad)}
}

func (g *gen) scalarQuery(name string, s *openapi3.Schema, bad bool) string {
	if bad {
		switch {
		case s.Type.Is("integer"):
			return pick(g, []string{"0", "-1", "501", "abc", "1e2", "1.5", "", "99999999999999999999", " 5", "0x10"})
		case s.Type.Is("number"):
			return pick(g, []string{"0", "-0", "0.6", "0x1p-4", "1e-300", "NaN", "Inf", "abc", "", "1e400", "0.05%"})
		case s.Type.Is("boolean"):
			return pick(g, []string{"yes", "2", "", "TRUE ", "null"})
		case s.Format == "date-time":
			return pick(g, extremeTimes)
		case len(s.Enum) > 0:
			return pick(g, []string{"bogus", strings.ToUpper(fmt.Sprint(s.Enum[0])), "", " " + fmt.Sprint(s.Enum[0])})
		case s.Pattern != "":
			return pick(g, []string{"1e2", "1_0", "-1", "24h", "", "latest ", "99999999999999999999999", "0x18", "NaN", "1e-300"})
		}
		if name == "cursor" {
			return pick(g, []string{"AAAA", "not-a-cursor", "eyJpZCI6IngifQ", "", "%00", hugeString})
		}
		return pick(g, append(slices.Clone(nastyStrings), hugeString))
	}
	if name == "variant" && g.exp != nil && len(g.exp.variants) > 0 {
		return pick(g, g.exp.variants).key
	}
	v := g.valid(name, &openapi3.SchemaRef{Value: s}, 0)
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
