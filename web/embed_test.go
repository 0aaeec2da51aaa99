package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// rootFiles and generated are as in scripts/sourcehash.mjs, which writes dist/build-source.txt.
var rootFiles = []string{"index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts",
	"scripts/postbuild.mjs", "scripts/sourcehash.mjs"}

const generated = "src/api/schema.d.ts"

// sourceHash is the fingerprint of what the dashboard is built from: each file's path and the
// SHA-256 of its bytes, in path order.
func sourceHash(root string) (string, error) {
	files := append([]string(nil), rootFiles...)
	err := filepath.WalkDir(filepath.Join(root, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if rel = filepath.ToSlash(rel); rel != generated {
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s\x00%s\n", f, hex.EncodeToString(sum[:]))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TestDistIsFresh fails when web/src (or the lockfile, or the build's settings) changed after
// dist/ was built: the binary would serve an old dashboard. Rebuild with `npm run build` in web/.
func TestDistIsFresh(t *testing.T) {
	want, err := sourceHash(".")
	if err != nil {
		t.Fatalf("hash the dashboard's sources: %v", err)
	}
	got, err := fs.ReadFile(Dist(), "build-source.txt")
	if err != nil {
		t.Fatalf("dist/build-source.txt: %v (build the dashboard: cd web && npm ci && npm run build)", err)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Errorf("web/dist is stale: built from sources %s, the sources now hash to %s; run `npm run build` in web/ and commit dist",
			strings.TrimSpace(string(got)), want)
	}
}

// The hash must notice a change in any source file, not only in some.
func TestSourceHashSeesEveryFile(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range rootFiles {
		write(f, f)
	}
	write("src/main.tsx", "a")
	write("src/pages/Report.tsx", "b")
	write(generated, "generated")
	base, err := sourceHash(root)
	if err != nil {
		t.Fatal(err)
	}
	write(generated, "regenerated")
	if h, _ := sourceHash(root); h != base {
		t.Errorf("sourceHash changed with the generated schema; it must leave it out")
	}
	for _, f := range append([]string{"src/main.tsx", "src/pages/Report.tsx"}, rootFiles...) {
		write(f, "changed")
		if h, _ := sourceHash(root); h == base {
			t.Errorf("sourceHash did not change when %s changed", f)
		}
		base, _ = sourceHash(root)
	}
}
