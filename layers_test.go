package postlab_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps imports flowing one way (cmd → api → {report, planning} → experiments →
// stats; cmd → store → experiments): the domain, the report, planning and the statistics never
// see HTTP or SQL, and only the storage package imports GORM.
func TestLayers(t *testing.T) {
	forbidden := map[string][]string{
		"postlab/stats":       {"github.com/labstack/echo", "gorm.io/", "postlab/experiments", "postlab/api", "postlab/store", "database/sql", "net/http"},
		"postlab/experiments": {"github.com/labstack/echo", "gorm.io/", "postlab/api", "postlab/store", "postlab/report", "postlab/planning", "net/http"},
		"postlab/report":      {"github.com/labstack/echo", "gorm.io/", "postlab/api", "postlab/store", "net/http"},
		"postlab/planning":    {"github.com/labstack/echo", "gorm.io/", "postlab/api", "postlab/store", "postlab/report", "net/http"},
		"postlab/importer":    {"github.com/labstack/echo", "gorm.io/", "postlab/api", "postlab/store"},
		"postlab/api":         {"gorm.io/", "postlab/store"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if dep == b || strings.HasPrefix(dep, b) && (strings.HasSuffix(b, "/") || strings.HasPrefix(dep, b+"/")) {
					t.Errorf("%s imports %s (through %s): the layers must not mix", pkg, b, dep)
				}
			}
		}
	}
}
