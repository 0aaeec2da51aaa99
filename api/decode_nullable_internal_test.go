package api

import (
	"reflect"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"postlab"
	"postlab/experiments"
)

// requestSchemas names the contract's schema for each request type the decoder knows.
var requestSchemas = map[string]reflect.Type{
	"SnapshotInput":     reflect.TypeFor[experiments.SnapshotInput](),
	"PostSnapshotInput": reflect.TypeFor[singleSnapshot](),
	"VariantInput":      reflect.TypeFor[experiments.VariantInput](),
	"VariantPatch":      reflect.TypeFor[experiments.VariantPatch](),
	"PostInput":         reflect.TypeFor[experiments.PostInput](),
	"PostPatch":         reflect.TypeFor[experiments.PostPatch](),
	"ExperimentInput":   reflect.TypeFor[experiments.ExperimentInput](),
	"ExperimentPatch":   reflect.TypeFor[experiments.ExperimentPatch](),
}

// TestNullableMatchesContract: the decoder lets a client send null exactly for the fields
// openapi.yaml marks nullable, in every request schema that has such a field.
func TestNullableMatchesContract(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(postlab.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	for name, ref := range doc.Components.Schemas {
		want := nullableProps(ref.Value)
		typ, known := requestSchemas[name]
		if !known {
			continue
		}
		got := slices.Clone(nullable[typ])
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("nullable[%v] = %v, want %v (the nullable fields of %s in openapi.yaml)", typ, got, want, name)
		}
	}
	for name := range requestSchemas {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("openapi.yaml has no schema %s", name)
		}
	}
}

func nullableProps(s *openapi3.Schema) []string {
	var out []string
	for prop, ref := range s.Properties {
		if ref.Value != nil && ref.Value.Nullable {
			out = append(out, prop)
		}
	}
	for _, sub := range s.AllOf {
		out = append(out, nullableProps(sub.Value)...)
	}
	slices.Sort(out)
	return out
}
