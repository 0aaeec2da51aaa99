package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// createdKey is an API key as answered once, at creation, with its secret.
type createdKey struct {
	experiments.APIKey
	Secret string `json:"secret"`
}

func (s *Server) getWorkspace(c echo.Context) error {
	ws, err := s.svc.Workspace(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ws)
}

func (s *Server) createKey(c echo.Context) error {
	var in experiments.KeyInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	k, secret, err := s.svc.CreateKey(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	answerHoldsSecret(c)
	return c.JSON(http.StatusCreated, createdKey{APIKey: k, Secret: secret})
}

func (s *Server) listKeys(c echo.Context) error {
	p := principal(c)
	page, err := s.page(c, p, "keys")
	if err != nil {
		return err
	}
	keys, err := s.svc.ListKeys(c.Request().Context(), p, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageOf(s, p, "keys", page, keys, func(k experiments.APIKey) string { return k.ID }))
}

func (s *Server) revokeKey(c echo.Context) error {
	if err := s.svc.RevokeKey(c.Request().Context(), principal(c), c.Param("key_id")); err != nil {
		return err
	}
	s.keys.forget(c.Param("key_id")) // other instances forget it within KeyCacheTTL
	return c.NoContent(http.StatusNoContent)
}
