package main

import (
	"fmt"
	"strconv"

	"postlab/api"
)

// corsConfig reads POSTLAB_CORS_ORIGINS and POSTLAB_CORS_CREDENTIALS.
func corsConfig(getenv func(string) string) (api.CORS, error) {
	creds, err := strconv.ParseBool(envOr(getenv, "POSTLAB_CORS_CREDENTIALS", "false"))
	if err != nil {
		return api.CORS{}, fmt.Errorf("POSTLAB_CORS_CREDENTIALS must be true or false, not %q", getenv("POSTLAB_CORS_CREDENTIALS"))
	}
	cors, err := api.ParseCORSOrigins(getenv("POSTLAB_CORS_ORIGINS"), creds)
	if err != nil {
		return api.CORS{}, fmt.Errorf("POSTLAB_CORS_ORIGINS: %w", err)
	}
	return cors, nil
}
