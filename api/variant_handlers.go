package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

func (s *Server) createVariant(c echo.Context) error {
	var in experiments.VariantInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := s.svc.CreateVariant(c.Request().Context(), principal(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// listVariants answers every variant at once: an experiment has a handful.
func (s *Server) listVariants(c echo.Context) error {
	vs, err := s.svc.ListVariants(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listPage[experiments.Variant]{Items: orEmptyList(vs)})
}

func orEmptyList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) patchVariant(c echo.Context) error {
	var patch experiments.VariantPatch
	if err := decodeJSON(c, &patch); err != nil {
		return err
	}
	v, err := s.svc.PatchVariant(c.Request().Context(), principal(c), c.Param("id"), c.Param("variant_id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteVariant(c echo.Context) error {
	if err := s.svc.DeleteVariant(c.Request().Context(), principal(c), c.Param("id"), c.Param("variant_id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
