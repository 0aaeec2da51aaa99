package api

import (
	"context"

	"postlab/experiments"
)

// SetCrashHook makes every idempotent request call hook at "before-commit" and "after-commit",
// until restore is called.
func SetCrashHook(hook func(ctx context.Context, stage string)) (restore func()) {
	crashHook.Store(&hook)
	return func() { crashHook.Store(nil) }
}

// IdempotencyScope is the scope an idempotent request is stored under.
func IdempotencyScope(workspaceID, apiKeyID, method, path, query, key string) string {
	return idempotencyScope(experiments.IdempotencyRecord{WorkspaceID: workspaceID, APIKeyID: apiKeyID,
		Method: method, Path: path, Query: query, Key: key})
}
