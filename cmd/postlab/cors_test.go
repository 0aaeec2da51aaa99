package main

import (
	"flag"
	"io"
	"testing"
)

func TestCORSConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	load := func(m map[string]string) (config, error) {
		fs := flag.NewFlagSet("postlab", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, _, err := loadConfig(fs, nil, env(m))
		return cfg, err
	}
	cfg, err := load(map[string]string{"POSTLAB_CORS_ORIGINS": "https://a.example, https://b.example"})
	if err != nil || len(cfg.api.CORS.Origins) != 2 || cfg.api.CORS.Credentials {
		t.Errorf("two origins: %+v, %v", cfg.api.CORS, err)
	}
	if cfg, err := load(nil); err != nil || len(cfg.api.CORS.Origins) != 0 {
		t.Errorf("unset: %+v, %v; want no origin", cfg.api.CORS, err)
	}
	for _, bad := range []map[string]string{
		{"POSTLAB_CORS_ORIGINS": "*", "POSTLAB_CORS_CREDENTIALS": "true"},
		{"POSTLAB_CORS_ORIGINS": "https://a.example/app"},
		{"POSTLAB_CORS_CREDENTIALS": "maybe"},
	} {
		if _, err := load(bad); err == nil {
			t.Errorf("loadConfig(%v) = nil error, want one", bad)
		}
	}
}
