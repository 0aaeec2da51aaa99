// Package postlab holds what belongs to the whole service rather than to one part of it: the
// OpenAPI contract, embedded so the binary serves the very file the tests validate against.
package postlab

import _ "embed"

// OpenAPI is openapi.yaml, the API contract (OpenAPI 3.0.3).
//
//go:embed openapi.yaml
var OpenAPI []byte
