package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

func (s *Server) createPost(c echo.Context) error {
	var in experiments.PostInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	post, err := s.svc.CreatePost(c.Request().Context(), principal(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/posts/"+post.ID)
	return c.JSON(http.StatusCreated, post)
}

func (s *Server) listPosts(c echo.Context) error {
	p := principal(c)
	list := "posts:" + c.Param("id")
	page, err := s.page(c, p, list)
	if err != nil {
		return err
	}
	f := experiments.PostFilter{ExperimentID: c.Param("id"), VariantID: c.QueryParam("variant"),
		Account: c.QueryParam("account"), Page: page}
	posts, err := s.svc.ListPosts(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageOf(s, p, list, page, posts, func(post experiments.Post) string { return post.ID }))
}

func (s *Server) getPost(c echo.Context) error {
	post, err := s.svc.GetPost(c.Request().Context(), principal(c), c.Param("post_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, post)
}

func (s *Server) patchPost(c echo.Context) error {
	var patch experiments.PostPatch
	if err := decodeJSON(c, &patch); err != nil {
		return err
	}
	post, err := s.svc.PatchPost(c.Request().Context(), principal(c), c.Param("post_id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, post)
}

func (s *Server) deletePost(c echo.Context) error {
	if err := s.svc.DeletePost(c.Request().Context(), principal(c), c.Param("post_id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
