// Package web holds the dashboard's build: the files in dist are made from src by `npm run
// build` (Vite), committed, and embedded so the binary serves them with no Node.js around.
// dist/docs also holds the Redoc bundle that renders the API docs page.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist is the built dashboard, rooted at dist/ (index.html, assets/, docs/).
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a constant path that go:embed guarantees
	}
	return sub
}
