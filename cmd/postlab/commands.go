package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"postlab/api"
	"postlab/experiments"
)

// cmdline is a parsed command line: the configuration, the command's own flags and its
// positional arguments.
type cmdline struct {
	cfg   config
	args  []string
	flags map[string]*string
}

func (c cmdline) flag(name string) string { return *c.flags[name] }

// parseCommand parses a command's arguments: nargs positional ones and the string flags named.
func parseCommand(args []string, getenv func(string) string, nargs int, flags []string) (cmdline, error) {
	fs := flag.NewFlagSet("postlab", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints the usage, on stdout or stderr as the case may be
	c := cmdline{flags: map[string]*string{}}
	for _, name := range flags {
		c.flags[name] = fs.String(name, "", "")
	}
	var err error
	c.cfg, c.args, err = loadConfig(fs, args, getenv)
	if err != nil {
		return c, err
	}
	if len(c.args) != nargs {
		return c, fmt.Errorf("want %d argument(s), got %q: %w", nargs, c.args, errUsage)
	}
	return c, nil
}

// require is the usage error of a flag left out.
func (c cmdline) require(names ...string) error {
	for _, name := range names {
		if strings.TrimSpace(c.flag(name)) == "" {
			return fmt.Errorf("--%s is required: %w", name, errUsage)
		}
	}
	return nil
}

// subcommand splits "create NAME" into "create" and the rest.
func subcommand(cmd string, rest []string, known ...string) (string, []string, error) {
	if len(rest) > 0 {
		for _, k := range known {
			if rest[0] == k {
				return k, rest[1:], nil
			}
		}
	}
	return "", nil, fmt.Errorf("%s: want one of %s: %w", cmd, strings.Join(known, ", "), errUsage)
}

func workspaceCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub, rest, err := subcommand("workspace", args, "create", "list")
	if err != nil {
		return err
	}
	nargs := map[string]int{"create": 1, "list": 0}[sub]
	c, err := parseCommand(rest, getenv, nargs, nil)
	if err != nil {
		return fmt.Errorf("workspace %s: %w", sub, err)
	}
	return withService(ctx, c.cfg, stderr, func(services api.Services, _ *slog.Logger) error {
		svc := services.Experiments
		if sub == "create" {
			_, secret, err := svc.CreateWorkspace(ctx, c.args[0])
			if err != nil {
				return fmt.Errorf("create workspace: %w", err)
			}
			_, err = fmt.Fprintln(stdout, secret)
			return err
		}
		return listWorkspaces(ctx, svc, stdout)
	})
}

func listWorkspaces(ctx context.Context, svc *experiments.Service, stdout io.Writer) error {
	list, err := svc.Workspaces(ctx)
	if err != nil {
		return fmt.Errorf("list workspaces: %w", err)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tCREATED\tID")
	for _, ws := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\n", ws.Name, ws.CreatedAt.Format(time.RFC3339), ws.ID)
	}
	return w.Flush()
}

func keyCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub, rest, err := subcommand("key", args, "create", "list", "revoke")
	if err != nil {
		return err
	}
	nargs := map[string]int{"create": 0, "list": 0, "revoke": 1}[sub]
	flags := []string{"workspace"}
	if sub == "create" {
		flags = append(flags, "role", "name")
	}
	c, err := parseCommand(rest, getenv, nargs, flags)
	if err == nil {
		err = c.require(flags[:min(2, len(flags))]...)
	}
	if err != nil {
		return fmt.Errorf("key %s: %w", sub, err)
	}
	return withService(ctx, c.cfg, stderr, func(services api.Services, _ *slog.Logger) error {
		svc := services.Experiments
		switch sub {
		case "create":
			return createKey(ctx, svc, c, stdout)
		case "list":
			return listKeys(ctx, svc, c.flag("workspace"), stdout)
		}
		return revokeKey(ctx, svc, c.flag("workspace"), c.args[0], stdout)
	})
}

func createKey(ctx context.Context, svc *experiments.Service, c cmdline, stdout io.Writer) error {
	name := c.flag("name")
	if name == "" {
		name = c.flag("role")
	}
	_, secret, err := svc.CreateKeyForWorkspace(ctx, c.flag("workspace"),
		experiments.KeyInput{Name: name, Role: experiments.Role(c.flag("role"))})
	if err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	_, err = fmt.Fprintln(stdout, secret)
	return err
}

// workspaceKeys lists every key of the workspace of that name, page by page.
func workspaceKeys(ctx context.Context, svc *experiments.Service, workspace string) (experiments.Principal, []experiments.APIKey, error) {
	p, err := svc.OperatorPrincipal(ctx, workspace)
	if err != nil {
		return p, nil, fmt.Errorf("workspace %q: %w", workspace, err)
	}
	var all []experiments.APIKey
	page := experiments.Page{Limit: 500}
	for {
		keys, err := svc.ListKeys(ctx, p, page)
		if err != nil {
			return p, nil, fmt.Errorf("list keys: %w", err)
		}
		all = append(all, keys...)
		if len(keys) < page.Limit {
			return p, all, nil
		}
		page.After = keys[len(keys)-1].ID
	}
}

// listKeys prints what identifies each key; the secrets are not stored, so never shown.
func listKeys(ctx context.Context, svc *experiments.Service, workspace string, stdout io.Writer) error {
	_, keys, err := workspaceKeys(ctx, svc, workspace)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PREFIX\tROLE\tNAME\tCREATED\tLAST USED\tREVOKED\tID")
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, k.Role, k.Name,
			k.CreatedAt.Format(time.RFC3339), timeOrDash(k.LastUsedAt), timeOrDash(k.RevokedAt), k.ID)
	}
	return w.Flush()
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// revokeKey revokes the key named by its id, its prefix or its whole secret. A prefix shared
// by two keys (6 hex digits: rare, not impossible) is refused, naming their ids.
func revokeKey(ctx context.Context, svc *experiments.Service, workspace, name string, stdout io.Writer) error {
	p, keys, err := workspaceKeys(ctx, svc, workspace)
	if err != nil {
		return err
	}
	var match []experiments.APIKey
	for _, k := range keys {
		if k.ID == name || k.Prefix == name || k.Hash == experiments.HashKey(name) {
			match = append(match, k)
		}
	}
	switch len(match) {
	case 0:
		return fmt.Errorf("revoke key: workspace %q has no key with id or prefix %q (postlab key list --workspace %s)",
			workspace, name, workspace)
	case 1:
	default:
		ids := make([]string, len(match))
		for i, k := range match {
			ids[i] = k.ID
		}
		return fmt.Errorf("revoke key: %d keys have the prefix %q; name one by its id: %s",
			len(match), name, strings.Join(ids, ", "))
	}
	k := match[0]
	if k.RevokedAt != nil {
		_, err := fmt.Fprintf(stdout, "Key %s (%s, %s) was already revoked at %s.\n", k.Prefix, k.Name, k.Role,
			k.RevokedAt.Format(time.RFC3339))
		return err
	}
	if err := svc.RevokeKey(ctx, p, k.ID); err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	// A running server trusts a key it has verified for api.KeyCacheTTL without asking the
	// database again; whoever revokes a leaked key must know it is not refused at once.
	_, err = fmt.Fprintf(stdout, "Revoked key %s (%s, %s). Running servers refuse it within %s.\n",
		k.Prefix, k.Name, k.Role, api.KeyCacheTTL)
	return err
}

// describe is an error's text with the fields a domain error names, one per line.
func describe(err error) string {
	var de *experiments.Error
	if !errors.As(err, &de) || len(de.Fields) < 2 {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(err.Error())
	for _, f := range de.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// version is set at build time by -ldflags "-X main.version=v1.2.3"; a plain build reports
// the module's version, "(devel)" when built from a checkout.
var version = ""

// printVersion prints the version, the commit it was built from and the Go version.
func printVersion(stdout io.Writer) error {
	v, commit, goVersion := version, "unknown", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		goVersion = bi.GoVersion
		var modified bool
		var at string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				at = s.Value
			}
		}
		if at != "" {
			commit += " (" + at + ")"
		}
		if modified {
			commit += ", with local changes"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	_, err := fmt.Fprintf(stdout, "postlab %s\ncommit %s\n%s\n", v, commit, goVersion)
	return err
}
